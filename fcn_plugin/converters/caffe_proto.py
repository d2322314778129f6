"""A minimal ``caffe.proto`` schema, built without ``protoc``.

Only the messages and fields needed to read the weights of a
``.caffemodel`` are declared, with the field numbers of BVLC Caffe's
``src/caffe/proto/caffe.proto``; every other field of a real file is
skipped by the protobuf parser as an unknown field::

    message BlobShape { repeated int64 dim = 1 [packed = true]; }
    message BlobProto {
      optional int64 num = 1; optional int64 channels = 2;
      optional int64 height = 3; optional int64 width = 4;
      repeated float data = 5 [packed = true];
      optional BlobShape shape = 7;
      repeated double double_data = 8 [packed = true];
    }
    message LayerParameter {            // V2, NetParameter.layer = 100
      optional string name = 1; optional string type = 2;
      repeated BlobProto blobs = 7;
    }
    message V1LayerParameter {          // V1, NetParameter.layers = 2
      optional V0LayerParameter layer = 1;  // only to detect V0 files
      optional string name = 4; optional LayerType type = 5;
      repeated BlobProto blobs = 6;
    }
    message V0LayerParameter { optional string name = 1; }
    message NetParameter {
      optional string name = 1; repeated V1LayerParameter layers = 2;
      repeated LayerParameter layer = 100;
    }

Two variants are built from this one description: ``typed`` declares
``data``/``double_data`` as packed floats/doubles exactly as Caffe does
(used to write files), ``raw`` declares them as ``bytes``. A packed
repeated field is one length-delimited record of little-endian values, so
``raw`` reads the same bytes without turning hundreds of millions of
floats into Python objects; they go straight to ``numpy.frombuffer``.
protobuf is imported when a schema is first built, not with the package.
"""
from functools import lru_cache
from typing import Any, Dict, Optional, Type

#: ``V1LayerParameter.LayerType`` of BVLC caffe.proto.
V1_LAYER_TYPES = {
    'NONE': 0, 'ABSVAL': 35, 'ACCURACY': 1, 'ARGMAX': 30, 'BNLL': 2,
    'CONCAT': 3, 'CONTRASTIVE_LOSS': 37, 'CONVOLUTION': 4, 'DATA': 5,
    'DECONVOLUTION': 39, 'DROPOUT': 6, 'DUMMY_DATA': 32,
    'EUCLIDEAN_LOSS': 7, 'ELTWISE': 25, 'EXP': 38, 'FLATTEN': 8,
    'HDF5_DATA': 9, 'HDF5_OUTPUT': 10, 'HINGE_LOSS': 28, 'IM2COL': 11,
    'IMAGE_DATA': 12, 'INFOGAIN_LOSS': 13, 'INNER_PRODUCT': 14, 'LRN': 15,
    'MEMORY_DATA': 29, 'MULTINOMIAL_LOGISTIC_LOSS': 16, 'MVN': 34,
    'POOLING': 17, 'POWER': 26, 'RELU': 18, 'SIGMOID': 19,
    'SIGMOID_CROSS_ENTROPY_LOSS': 27, 'SILENCE': 36, 'SOFTMAX': 20,
    'SOFTMAX_LOSS': 21, 'SPLIT': 22, 'SLICE': 33, 'TANH': 23,
    'WINDOW_DATA': 24, 'THRESHOLD': 31,
}
#: V1 enum names of the layers with weights -> V2 type strings.
V1_TO_V2_TYPES = {'CONVOLUTION': 'Convolution',
                  'INNER_PRODUCT': 'InnerProduct',
                  'DECONVOLUTION': 'Deconvolution'}


def _field(msg: Any, name: str, number: int, ftype: int,
           label: Optional[int] = None, type_name: Optional[str] = None,
           packed: bool = False) -> None:
    from google.protobuf.descriptor_pb2 import FieldDescriptorProto as FDP
    if label is None:
        label = FDP.LABEL_OPTIONAL
    field = msg.field.add(name=name, number=number, type=ftype, label=label)
    if type_name:
        field.type_name = type_name
    if packed:
        field.options.packed = True


def _file_proto(raw: bool) -> Any:
    """The schema as a ``FileDescriptorProto``."""
    from google.protobuf import descriptor_pb2
    FDP = descriptor_pb2.FieldDescriptorProto
    package = 'fcn_caffe_raw' if raw else 'fcn_caffe'
    fdp = descriptor_pb2.FileDescriptorProto(
        name=f'{package}.proto', package=package, syntax='proto2')
    rep = FDP.LABEL_REPEATED

    shape = fdp.message_type.add(name='BlobShape')
    _field(shape, 'dim', 1, FDP.TYPE_INT64, rep, packed=True)

    blob = fdp.message_type.add(name='BlobProto')
    for number, name in enumerate(('num', 'channels', 'height', 'width'), 1):
        _field(blob, name, number, FDP.TYPE_INT64)
    if raw:
        _field(blob, 'data', 5, FDP.TYPE_BYTES, rep)
        _field(blob, 'double_data', 8, FDP.TYPE_BYTES, rep)
    else:
        _field(blob, 'data', 5, FDP.TYPE_FLOAT, rep, packed=True)
        _field(blob, 'double_data', 8, FDP.TYPE_DOUBLE, rep, packed=True)
    _field(blob, 'shape', 7, FDP.TYPE_MESSAGE,
           type_name=f'.{package}.BlobShape')

    layer = fdp.message_type.add(name='LayerParameter')
    _field(layer, 'name', 1, FDP.TYPE_STRING)
    _field(layer, 'type', 2, FDP.TYPE_STRING)
    _field(layer, 'blobs', 7, FDP.TYPE_MESSAGE, rep,
           type_name=f'.{package}.BlobProto')

    v0 = fdp.message_type.add(name='V0LayerParameter')
    _field(v0, 'name', 1, FDP.TYPE_STRING)

    v1 = fdp.message_type.add(name='V1LayerParameter')
    enum = v1.enum_type.add(name='LayerType')
    for name, number in V1_LAYER_TYPES.items():
        enum.value.add(name=name, number=number)
    _field(v1, 'layer', 1, FDP.TYPE_MESSAGE,
           type_name=f'.{package}.V0LayerParameter')
    _field(v1, 'name', 4, FDP.TYPE_STRING)
    _field(v1, 'type', 5, FDP.TYPE_ENUM,
           type_name=f'.{package}.V1LayerParameter.LayerType')
    _field(v1, 'blobs', 6, FDP.TYPE_MESSAGE, rep,
           type_name=f'.{package}.BlobProto')

    net = fdp.message_type.add(name='NetParameter')
    _field(net, 'name', 1, FDP.TYPE_STRING)
    _field(net, 'layers', 2, FDP.TYPE_MESSAGE, rep,
           type_name=f'.{package}.V1LayerParameter')
    _field(net, 'layer', 100, FDP.TYPE_MESSAGE, rep,
           type_name=f'.{package}.LayerParameter')
    return fdp


@lru_cache(maxsize=None)
def caffe_messages(raw: bool = True) -> Dict[str, Type[Any]]:
    """The message classes of the schema.

    Args:
        raw (bool): Blob values as ``bytes`` (reading) instead of packed
            floats (writing). Defaults to True.

    Returns:
        dict[str, type]: ``NetParameter``, ``LayerParameter``,
        ``V1LayerParameter``, ``BlobProto`` and ``BlobShape`` classes.
    """
    from google.protobuf import descriptor_pool, message_factory
    pool = descriptor_pool.DescriptorPool()
    fdp = _file_proto(raw)
    pool.Add(fdp)
    return {
        msg.name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f'{fdp.package}.{msg.name}'))
        for msg in fdp.message_type
    }
