// Every LUT GEMM backend this build and machine have, behind one call, for the parity suite
// (test_lut_gemm.cpp): the CPU kernels this CPU supports and, where a CUDA device is, each CUDA
// kernel (host operands copied to the device and back). All are compared with the reference loop.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "emulation/cuda/cuda_kernel.hpp"
#include "emulation/lut_gemm.hpp"
#if defined(AXX_HAVE_CUDA_KERNELS)
#include "emulation/cuda/lut_gemm_cuda.hpp"
#endif

namespace axx::emu::test {

/// A batched product on host memory: C_i = A_i · B_iᵀ through the table (strides in elements).
using HostGemm = cuda::GemmArgs;

struct Backend {
  std::string name;
  /// False when the backend cannot run this table (the AVX-512 and shared16 kernels need a table
  /// spanning < 2^16).
  std::function<bool(const PreparedLut&)> applies;
  std::function<void(const PreparedLut&, const HostGemm&)> run;
};

/// The reference loop over a batch.
inline void reference_gemm(const PreparedLut& p, const HostGemm& g) {
  for (int64_t i = 0; i < g.batch; ++i) {
    lut_gemm_reference(g.M, g.N, g.K, g.A + i * g.stride_a, g.lda, g.B + i * g.stride_b, g.ldb, p.lut(),
                       g.C + i * g.stride_c, g.ldc);
  }
}

/// True when CUDA backends take part (kernels built and a device found).
inline bool cuda_backends_present() {
#if defined(AXX_HAVE_CUDA_KERNELS)
  return cuda::device_available();
#else
  return false;
#endif
}

/// Why the CUDA backends are absent ("" when present).
inline std::string cuda_backends_absent_reason() {
#if defined(AXX_HAVE_CUDA_KERNELS)
  return cuda::device_available() ? "" : "no CUDA device on this machine (the CUDA kernels are built; scripts/gpu-check.sh runs them on a GPU)";
#else
  return "built without the CUDA kernels (nvcc not found at configure time)";
#endif
}

/// Every fast backend (not the reference) of this build and machine.
inline std::vector<Backend> fast_backends() {
  std::vector<Backend> v;
  for (CpuKernel k : {CpuKernel::portable, CpuKernel::avx512, CpuKernel::avx512_shared}) {
    if (!cpu_supports(k)) continue;
    const bool any_table = k == CpuKernel::portable;
    v.push_back({to_string(k), [any_table](const PreparedLut& p) { return any_table || p.fits_16bit(); },
                 [k](const PreparedLut& p, const HostGemm& g) {
                   for (int64_t i = 0; i < g.batch; ++i) {
                     lut_gemm_cpu(p, g.M, g.N, g.K, g.A + i * g.stride_a, g.lda, g.B + i * g.stride_b, g.ldb,
                                  g.C + i * g.stride_c, g.ldc, k);
                   }
                 }});
  }
#if defined(AXX_HAVE_CUDA_KERNELS)
  if (cuda::device_available()) {
    const bool big_shared = cuda::device_info(0).shared_optin_bytes >= 136 * 1024;
    for (CudaKernel k : {CudaKernel::shared16, CudaKernel::global32, CudaKernel::naive}) {
      if (k == CudaKernel::shared16 && !big_shared) continue;
      v.push_back({std::string("cuda_") + to_string(k),
                   [k](const PreparedLut& p) { return k != CudaKernel::shared16 || p.fits_16bit(); },
                   [k](const PreparedLut& p, const HostGemm& g) {
                     cuda::lut_gemm_host(g, p.lut(), k);
                   }});
    }
  }
#endif
  return v;
}

}  // namespace axx::emu::test
