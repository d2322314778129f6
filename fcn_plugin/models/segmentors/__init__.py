from .precision_encoder_decoder import (PRECISIONS, PrecisionEncoderDecoder,
                                        bf16_cpu_problem, set_precision)

__all__ = [
    'PRECISIONS', 'PrecisionEncoderDecoder', 'bf16_cpu_problem',
    'set_precision'
]
