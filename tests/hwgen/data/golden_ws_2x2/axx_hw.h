/* axx_hw.h — parameters of the generated systolic array (transaxx hwgen; do not edit). */
#ifndef AXX_HW_H
#define AXX_HW_H

#define AXX_HW_ROWS 2          /* PE rows */
#define AXX_HW_COLS 2          /* PE columns */
#define AXX_HW_DATAFLOW_WS 1   /* 1: weight-stationary, 0: output-stationary */
#define AXX_HW_ACC_BITS 20      /* accumulator width, bits */
#define AXX_HW_SIGNED 1        /* operands two's complement */
#define AXX_HW_STREAM_DEPTH 4  /* words of the stream memory: max tile M */
#define AXX_HW_NUM_MODES 2
#define AXX_HW_MODE_BITS 1
/* Busy cycles of one tile streaming LEN words (cycle_model.hpp). */
#define AXX_HW_TILE_CYCLES(LEN) ((LEN) + 8)

#define AXX_HW_MODE_EXACT_S8 0
#define AXX_HW_MODE_BAM_S8_V4 1

/* Which mode each layer runs in; -1: not on the array (fp32). */
struct axx_hw_layer { const char* name; int mode; long m, k, n, count; };
static const struct axx_hw_layer axx_hw_schedule[] = {
    {"layer0", 1, 5, 6, 7, 1},
    {"layer1", 0, 9, 12, 3, 2},
    {"layer2", 0, 1, 4, 4, 1},
    {"layer3", 0, 20, 3, 11, 1},
};
#define AXX_HW_NUM_LAYERS 4

#endif /* AXX_HW_H */
