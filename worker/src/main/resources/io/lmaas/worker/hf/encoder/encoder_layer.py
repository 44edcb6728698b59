class EncoderLayer(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def pack(self: __torch__.EncoderLayer,
    weight: Tensor,
    rows: int) -> Tensor:
    return ops.mkldnn._reorder_linear_weight(weight, rows)
  def forward(self: __torch__.EncoderLayer,
    x: Tensor,
    w: List[Tensor],
    heads: int,
    eps: float,
    activation: str,
    algorithm: str) -> Tensor:
    return self.layer(x, w, heads, eps, activation, algorithm, None)
  def masked(self: __torch__.EncoderLayer,
    x: Tensor,
    w: List[Tensor],
    heads: int,
    eps: float,
    activation: str,
    algorithm: str,
    mask: Tensor) -> Tensor:
    return self.layer(x, w, heads, eps, activation, algorithm, mask)
  def layer(self: __torch__.EncoderLayer,
    x: Tensor,
    w: List[Tensor],
    heads: int,
    eps: float,
    activation: str,
    algorithm: str,
    mask: Optional[Tensor]) -> Tensor:
    batch = x.size(0)
    longest = x.size(1)
    hidden = x.size(2)
    h = x.reshape([batch * longest, hidden])
    qkv = ops.mkldnn._linear_pointwise(h, w[0], w[1], "none", [], "")
    parts = qkv.view([batch, longest, 3, heads, -1]).permute([2, 0, 3, 1, 4]).unbind(0)
    context = torch.scaled_dot_product_attention(parts[0], parts[1], parts[2], mask)
    joined = context.transpose(1, 2).reshape([batch * longest, hidden])
    attended = torch.layer_norm(ops.mkldnn._linear_pointwise(joined, h, w[2], w[3], "add"), [hidden], w[4], w[5], eps)
    up = ops.mkldnn._linear_pointwise(attended, w[6], w[7], activation, [], algorithm)
    out = torch.layer_norm(ops.mkldnn._linear_pointwise(up, attended, w[8], w[9], "add"), [hidden], w[10], w[11], eps)
    return out.view([batch, longest, hidden])
