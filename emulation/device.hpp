// transaxx emulation — which device the model commands run on ("cpu", "cuda", "auto").
//
// The model, its calibration and every product run on that device; datasets are loaded on the CPU
// and each batch is moved over (imp::ModelHandle::forward). CUDA needs three things at once: this
// build's CUDA LUT kernels, a LibTorch with CUDA (docs/gpu.md: build against a PyTorch wheel's
// LibTorch) and a device the driver sees.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace axx::emu {

/// True when CUDA can be used here: kernels built, LibTorch with CUDA, at least one device.
bool cuda_usable();

/// Why CUDA cannot be used here, in words ("" when it can).
std::string cuda_unusable_reason();

/// "cpu" → CPU; "cuda" → CUDA device 0 (throws EMU-101, a usage error, when !cuda_usable(),
/// saying why); "auto" → CUDA when usable, else the CPU. Anything else: EMU-100 (usage error)
/// listing the valid names.
c10::Device resolve_device(const std::string& name);

/// The device names resolve_device takes, for help texts and flow validation.
inline const char* device_names() { return "cpu, cuda, auto"; }

}  // namespace axx::emu
