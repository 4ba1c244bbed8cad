#include <isa-l/igzip_lib.h>

/// The level buffer ISA-L wants for `level` (its size macros are expressions Swift cannot import).
static inline unsigned int sensor_isal_level_buffer_size(int level) {
    switch (level) {
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: return 0;
    }
}

/// Whether a stateful deflate wrote its last byte (the gzip trailer included).
static inline int sensor_isal_finished(const struct isal_zstream *stream) {
    return stream->internal_state.state == ZSTATE_END;
}
