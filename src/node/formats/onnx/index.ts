/** Writing ONNX models (.onnx files): the model as plain data and its protobuf encoding. */
export { encodeOnnxModel, ONNX_DATA_TYPE, ONNX_IR_VERSION, type OnnxAttributeValue, type OnnxDim, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnxModel'
export { encodeVarint, ProtoWriter } from './protobuf'
