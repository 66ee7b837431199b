import type { DicomSeriesEntry } from '../../../shared/project'

/** Characters of a SeriesInstanceUID shown when a series has no number: its end tells series apart. */
const UID_TAIL = 12

/**
 * How the series chooser names a series. With a series number, dcm2niix's name for the volume:
 * the number plus the suffix that tells echoes or phases of one series apart ('4', '4_e2', '13a').
 * Without one (anonymised exports drop it), dcm2niix names the volume by a hash that means nothing
 * to anyone, so the end of the SeriesInstanceUID is shown instead.
 */
export function dicomSeriesName(series: Pick<DicomSeriesEntry, 'choice' | 'seriesNumber' | 'seriesInstanceUid'>): string {
  if (series.seriesNumber !== undefined) return series.choice
  const uid = series.seriesInstanceUid
  if (uid !== undefined && uid !== '') return uid.length > UID_TAIL ? `…${uid.slice(-UID_TAIL)}` : uid
  return series.choice
}
