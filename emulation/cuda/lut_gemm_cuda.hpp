// transaxx emulation — CUDA LUT GEMM launcher (plain CUDA; no LibTorch here or in the .cu, so it
// compiles with any nvcc and the tests and benchmark can call it on raw device pointers). Same
// definition as lut_gemm_reference (lut_gemm.hpp), bit for bit, for every table:
//
//   C_i[m][n] = Σ_k lut[A_i[m][k]][B_i[n][k]]     (int32, wrapping modulo 2^32), i < batch
//
// Kernels (CudaKernel, cuda_kernel.hpp):
//   shared16  the table as 16 bits (entry + bias, PreparedLut's biased form) in 128 KiB of shared
//             memory next to the A/B tiles; register tiles of 4×8 outputs per thread; persistent
//             blocks over (batch, tile) so each block loads the table once. Needs a table spanning
//             < 2^16 and ≥ 136 KiB of opt-in shared memory per block (sm_80: 163 KiB, sm_90: 227).
//   global32  the same tiling, the table (int32, weight-major) read from global memory through the
//             read-only cache: any table, any device.
//   naive     one output per thread, 16×16 operand tiles in shared memory, the int32 table in
//             global memory: the kernel of TransAxx (Danopoulos et al., "TransAxx: Efficient
//             Transformers with Approximate Computing", 2024) and of TorchApprox / AdaPT (Spantidi
//             et al., 2023; Danopoulos et al., "AdaPT", 2022). A benchmark baseline only.
//   automatic shared16 where it applies, else global32.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "emulation/cuda/cuda_kernel.hpp"

namespace axx::emu::cuda {

/// True when the CUDA runtime finds at least one device.
bool device_available();

/// A multiplier's table on one device, in the forms the kernels read (device pointers, owned by
/// the handle upload_lut returns).
struct DeviceLut {
  int device = 0;
  const int32_t* lut = nullptr;      ///< lut[a * 256 + b] (naive)
  const int32_t* lut_t = nullptr;    ///< lut[a][b] at [b * 256 + a] (global32)
  /// (lut[a][b] + bias) mod 2^32 at [b * 256 + a] as 16 bits (shared16); null when the table
  /// spans 2^16 or more (PreparedLut::fits_16bit() false).
  const uint16_t* lut16_t = nullptr;
  uint32_t bias = 0;                 ///< −min(lut) modulo 2^32
};

/// Copies a 256×256 table (65536 int32, lut[a * 256 + b]) to device `device` in every form of
/// DeviceLut. The handle frees the device memory when the last owner lets go (errors at that
/// point, e.g. at process exit after the runtime shut down, are ignored). Throws EMU-060.
std::shared_ptr<const DeviceLut> upload_lut(const int32_t* host_lut, int device);

/// The kernel `automatic` runs for this table on its device.
CudaKernel choose_kernel(const DeviceLut& lut);

/// True when `k` can run this table on its device (shared16: 16-bit table and enough opt-in
/// shared memory).
bool kernel_applies(CudaKernel k, const DeviceLut& lut);

/// Runs one launch on `stream` (a cudaStream_t; nullptr = the legacy default stream) on the
/// table's device (selected for the call, then restored). Asynchronous. Throws EMU-060 on a
/// CUDA error, EMU-061 for a forced kernel that does not apply (kernel_applies).
void lut_gemm_device(const GemmArgs& g, const DeviceLut& lut, void* stream,
                     CudaKernel kernel = CudaKernel::automatic);

/// Host pointers in `g`: copies the operands to device 0, runs lut_gemm_device, copies C back
/// (only the elements the product writes; the rest of C's span is kept). Tests and tools.
void lut_gemm_host(const GemmArgs& g, const int32_t* host_lut, CudaKernel kernel = CudaKernel::automatic);

/// Timing of `iterations` launches of one product on device memory already prepared (for the
/// benchmark): milliseconds per launch, measured with CUDA events on `stream`.
double time_lut_gemm_ms(const GemmArgs& g, const DeviceLut& lut, void* stream, CudaKernel kernel,
                        int iterations);

/// Device memory owned by RAII (tests and the benchmark stage operands with it).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  void* get() const { return p_; }
  template <class T>
  T* as() const { return static_cast<T*>(p_); }
  void upload(const void* host, size_t bytes);
  void download(void* host, size_t bytes) const;

 private:
  void* p_ = nullptr;
};

/// Name of the device (cudaGetDeviceProperties), its SM count and opt-in shared memory per block.
struct DeviceInfo {
  std::string name;
  int sm_count = 0, shared_optin_bytes = 0, cc_major = 0, cc_minor = 0;
};
DeviceInfo device_info(int device);

}  // namespace axx::emu::cuda
