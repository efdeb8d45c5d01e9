// transaxx import — model handle and file dispatch (see model_file.hpp).
#include "emulation/import/model_file.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "common/error.hpp"

namespace axx::imp {

namespace fs = std::filesystem;

ModelHandle::ModelHandle(models::VisionTransformer vit) : vit_(vit), module_(vit.ptr()) {
  const auto& c = vit->config();
  input_ = {c.in_chans, c.img_size, c.num_classes};
}

ModelHandle::ModelHandle(ImportedModel m) : ts_(m), module_(m.ptr()), input_(m->input()) {}

at::Tensor ModelHandle::forward(const at::Tensor& x_in) const {
  const c10::Device d = device();
  const at::Tensor x = x_in.device() == d ? x_in : x_in.to(d);
  return vit_ ? vit_->ptr()->forward(x) : ts_->ptr()->forward(x);
}

c10::Device ModelHandle::device() const {
  for (const auto& p : module_->parameters()) return p.device();
  for (const auto& b : module_->buffers()) return b.device();
  return c10::Device(c10::kCPU);
}

void ModelHandle::to(c10::Device d) const { module_->to(d); }

void ModelHandle::save(const std::string& path, const std::vector<std::pair<std::string, std::string>>& metadata) const {
  if (vit_) {
    models::save_vit(*vit_, path, metadata);  // copies each tensor to the CPU
    return;
  }
  // The TorchScript graph is written with the weights where they are: on the CPU, so the file
  // loads anywhere.
  const c10::Device d = device();
  if (!d.is_cpu()) to(c10::Device(c10::kCPU));
  (*ts_)->save(path);
  if (!d.is_cpu()) to(d);
}

ModelHandle load_model_file(const std::string& path, const ModelFileOptions& o) {
  if (path.empty()) throw Error("IMP-015", "no model file given (give a .safetensors or TorchScript .pt/.ts file)");
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".safetensors") {
    TimmImportOptions t;  // a missing file: SFT-005 from the safetensors reader, as before
    t.preset = o.preset;
    t.num_heads = o.num_heads;
    return import_vit_safetensors(path, t);
  }
  if (is_torchscript_path(path)) {
    TorchScriptOptions t;
    t.input = o.input;
    t.sidecar = o.sidecar;
    return load_torchscript(path, t);
  }
  throw Error("IMP-016", fmt::format("model file '{}': unknown extension '{}'; transaxx reads .safetensors (native or "
                                     "timm ViT) and TorchScript .pt, .pth, .ts, .torchscript",
                                     path, ext));
}

}  // namespace axx::imp
