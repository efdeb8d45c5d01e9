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

at::Tensor ModelHandle::forward(const at::Tensor& x) const { return vit_ ? vit_->ptr()->forward(x) : ts_->ptr()->forward(x); }

void ModelHandle::save(const std::string& path, const std::vector<std::pair<std::string, std::string>>& metadata) const {
  if (vit_) {
    models::save_vit(*vit_, path, metadata);
  } else {
    (*ts_)->save(path);
  }
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
