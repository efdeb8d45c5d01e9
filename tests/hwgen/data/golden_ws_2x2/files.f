rtl/multipliers/exact_s8/exact_s8.v
rtl/multipliers/bam_s8_v4/bam.v
rtl/axx_hw_pe.v
rtl/axx_hw_array.v
rtl/axx_hw_skew.v
rtl/axx_hw_deskew.v
rtl/axx_hw_ctrl.v
rtl/axx_hw_top.v
