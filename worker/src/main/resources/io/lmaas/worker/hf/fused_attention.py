class FusedAttention(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def forward(self: __torch__.FusedAttention,
    qkv: Tensor,
    heads: int) -> Tensor:
    batch = qkv.size(0)
    longest = qkv.size(1)
    parts = qkv.view([batch, longest, 3, heads, -1]).permute([2, 0, 3, 1, 4]).unbind(0)
    out = torch.scaled_dot_product_attention(parts[0], parts[1], parts[2])
    return out.transpose(1, 2).reshape([batch, longest, -1])
  def masked(self: __torch__.FusedAttention,
    qkv: Tensor,
    heads: int,
    mask: Tensor) -> Tensor:
    batch = qkv.size(0)
    longest = qkv.size(1)
    parts = qkv.view([batch, longest, 3, heads, -1]).permute([2, 0, 3, 1, 4]).unbind(0)
    out = torch.scaled_dot_product_attention(parts[0], parts[1], parts[2], mask)
    return out.transpose(1, 2).reshape([batch, longest, -1])
