// Class-aware greedy NMS of a whole batch that stops at max_per_img survivors.
//
// The same greedy rule as mmcv's and torchvision's CPU NMS (a box is kept when
// its IoU with every kept box of its class is <= iou_threshold; IoU without the
// +1 pixel offset), in the other loop order: each candidate, best score first,
// is compared with the boxes kept so far in its own class only, it stops at the
// first overlap, and an image is done once max_per_img boxes are kept. The kept
// boxes are the first max_per_img of what full NMS keeps (greedy NMS decides a
// box from the boxes scoring above it only), for a fraction of the comparisons.
#include <torch/extension.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

// boxes (B, K, 4) float32, scores (B, K) float32, labels (B, K) int64, valid (B, K)
// bool, in any order. Every image's valid candidates are visited by decreasing
// score (equal scores: lower index first), sorted only as far as needed.
// Returns (B, max_per_img) int64 indices into K, by decreasing score, -1 padded.
torch::Tensor greedy_nms_batch(const torch::Tensor& boxes, const torch::Tensor& scores,
                               const torch::Tensor& labels, const torch::Tensor& valid,
                               int64_t num_classes, double iou_threshold, int64_t max_per_img) {
  TORCH_CHECK(boxes.device().is_cpu(), "greedy_nms_batch: CPU tensors only");
  TORCH_CHECK(boxes.dim() == 3 && boxes.size(2) == 4, "greedy_nms_batch: boxes must be (B, K, 4)");
  TORCH_CHECK(boxes.scalar_type() == torch::kFloat && scores.scalar_type() == torch::kFloat,
              "greedy_nms_batch: boxes and scores must be float32");
  TORCH_CHECK(labels.scalar_type() == torch::kLong, "greedy_nms_batch: labels must be int64");
  TORCH_CHECK(valid.scalar_type() == torch::kBool, "greedy_nms_batch: valid must be bool");
  TORCH_CHECK(scores.sizes() == labels.sizes() && scores.sizes() == valid.sizes() &&
                  scores.size(0) == boxes.size(0) && scores.size(1) == boxes.size(1),
              "greedy_nms_batch: scores, labels and valid must be (B, K) like boxes");
  TORCH_CHECK(max_per_img > 0 && num_classes > 0, "greedy_nms_batch: need max_per_img, num_classes > 0");
  auto b = boxes.contiguous();
  auto s = scores.contiguous();
  auto l = labels.contiguous();
  auto v = valid.contiguous();
  const int64_t batch = b.size(0), count = b.size(1);
  auto keep = torch::full({batch, max_per_img}, -1, torch::kLong);
  const float* bp = b.data_ptr<float>();
  const float* sp = s.data_ptr<float>();
  const int64_t* lp = l.data_ptr<int64_t>();
  const bool* vp = v.data_ptr<bool>();
  int64_t* kp = keep.data_ptr<int64_t>();
  const float thr = static_cast<float>(iou_threshold);
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    // per class: the kept boxes as x1, y1, x2, y2, area
    std::vector<std::vector<float>> kept(num_classes);
    std::vector<int64_t> order;
    for (int64_t i = begin; i < end; ++i) {
      for (auto& k : kept) k.clear();
      const float* ib = bp + i * count * 4;
      const float* is = sp + i * count;
      const int64_t* il = lp + i * count;
      order.clear();
      for (int64_t j = 0; j < count; ++j)
        if (vp[i * count + j]) order.push_back(j);
      auto better = [is](int64_t x, int64_t y) { return is[x] > is[y] || (is[x] == is[y] && x < y); };
      size_t sorted = 0;
      size_t next = std::min(order.size(), static_cast<size_t>(4 * max_per_img));
      int64_t found = 0;
      for (size_t q = 0; q < order.size() && found < max_per_img; ++q) {
        if (q == sorted) {  // sort the next block of the best remaining candidates
          if (next < order.size())
            std::nth_element(order.begin() + sorted, order.begin() + next, order.end(), better);
          std::sort(order.begin() + sorted, order.begin() + next, better);
          sorted = next;
          next = std::min(order.size(), 2 * next);
        }
        const int64_t j = order[q];
        const int64_t c = il[j];
        TORCH_CHECK(c >= 0 && c < num_classes, "greedy_nms_batch: label out of range");
        const float x1 = ib[j * 4], y1 = ib[j * 4 + 1], x2 = ib[j * 4 + 2], y2 = ib[j * 4 + 3];
        const float area = (x2 - x1) * (y2 - y1);
        std::vector<float>& kc = kept[c];
        bool suppressed = false;
        for (size_t r = 0; r < kc.size(); r += 5) {
          const float w = std::max(0.f, std::min(x2, kc[r + 2]) - std::max(x1, kc[r]));
          const float h = std::max(0.f, std::min(y2, kc[r + 3]) - std::max(y1, kc[r + 1]));
          const float inter = w * h;
          if (inter / (kc[r + 4] + area - inter) > thr) {
            suppressed = true;
            break;
          }
        }
        if (suppressed) continue;
        kc.insert(kc.end(), {x1, y1, x2, y2, area});
        kp[i * max_per_img + found++] = j;
      }
    }
  });
  return keep;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("greedy_nms_batch", &greedy_nms_batch,
        "class-aware greedy NMS of a batch, best score first, stopping at max_per_img survivors");
}
