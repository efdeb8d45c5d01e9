// transaxx emulation — device selection (device.hpp).
#include "emulation/device.hpp"

#include <fmt/format.h>
#include <torch/cuda.h>

#include "common/error.hpp"
#include "emulation/int_matmul.hpp"

namespace axx::emu {

std::string cuda_unusable_reason() {
  if (!cuda_lut_gemm_built()) {
    return "this build has no CUDA LUT kernels or its LibTorch has no CUDA (Debian's LibTorch is CPU-only); "
           "rebuild against a CUDA PyTorch's LibTorch as docs/gpu.md describes";
  }
  if (!torch::cuda::is_available()) return "LibTorch finds no CUDA device (check nvidia-smi and the driver)";
  return "";
}

bool cuda_usable() { return cuda_unusable_reason().empty(); }

c10::Device resolve_device(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name == "auto") return cuda_usable() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (name == "cuda") {
    const std::string why = cuda_unusable_reason();
    if (!why.empty()) {
      throw UsageError("EMU-101", fmt::format("device 'cuda' was asked for but cannot be used: {}; run on the CPU "
                                              "(device cpu, or auto to take CUDA only where it works)",
                                              why));
    }
    return c10::Device(c10::kCUDA, 0);
  }
  throw UsageError("EMU-100", fmt::format("unknown device '{}'; valid: {}", name, device_names()));
}

}  // namespace axx::emu
