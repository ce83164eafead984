"""Architecture replicas of Ultralytics YOLOv8, YOLOv5 (v6.0+) and YOLO11 detection models.

Written from the Ultralytics sources (ultralytics/nn/modules/{conv,block,head}.py,
ultralytics/nn/tasks.py parse_model, yolov5 models/{common,yolo}.py) so that the
exported ONNX graphs have the same module graph, channel widths, depths and
export-time Detect decode as `yolo export format=onnx` gives for the 'n' scale.
Weights are random: these are fixtures for the inference engine, not detectors.

Module attribute names (`model.<i>.cv1.conv`, `model.22.dfl.conv`, ...) follow
Ultralytics so that ONNX node names look the same (`/model.22/dfl/conv/Conv`).
"""
import math

import torch
import torch.nn as nn

# --------------------------------------------------------------------------- #
# Building blocks (ultralytics/nn/modules/conv.py, block.py)
# --------------------------------------------------------------------------- #


def autopad(k, p=None, d=1):
    """'same' padding for odd kernels, as Ultralytics computes it."""
    if d > 1:
        k = d * (k - 1) + 1 if isinstance(k, int) else [d * (x - 1) + 1 for x in k]
    if p is None:
        p = k // 2 if isinstance(k, int) else [x // 2 for x in k]
    return p


class Conv(nn.Module):
    """Conv2d (no bias) + BatchNorm2d + SiLU; fuse() folds the BN like Ultralytics' model.fuse()."""

    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, d=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p, d), groups=g, dilation=d, bias=False)
        # Ultralytics' initialize_weights() sets eps=1e-3, momentum=0.03 on every BN.
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU() if act is True else act if isinstance(act, nn.Module) else nn.Identity()

    def forward(self, x):
        if hasattr(self, "bn"):
            return self.act(self.bn(self.conv(x)))
        return self.act(self.conv(x))


class DWConv(Conv):
    def __init__(self, c1, c2, k=1, s=1, d=1, act=True):
        super().__init__(c1, c2, k, s, g=math.gcd(c1, c2), d=d, act=act)


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, g=1, k=(3, 3), e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, k[0], 1)
        self.cv2 = Conv(c_, c2, k[1], 1, g=g)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False, g=1, e=0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, g, k=(3, 3), e=1.0) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True, g=1, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, g, k=(1, 3), e=1.0) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class C3k(C3):
    def __init__(self, c1, c2, n=1, shortcut=True, g=1, e=0.5, k=3):
        super().__init__(c1, c2, n, shortcut, g, e)
        c_ = int(c2 * e)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, g, k=(k, k), e=1.0) for _ in range(n)))


class C3k2(C2f):
    def __init__(self, c1, c2, n=1, c3k=False, e=0.5, g=1, shortcut=True):
        super().__init__(c1, c2, n, shortcut, g, e)
        # Note Bottleneck's default e=0.5 here (hidden width c/2), unlike C2f's e=1.0.
        self.m = nn.ModuleList(
            C3k(self.c, self.c, 2, shortcut, g) if c3k else Bottleneck(self.c, self.c, shortcut, g) for _ in range(n)
        )


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        y.extend(self.m(y[-1]) for _ in range(3))
        return self.cv2(torch.cat(y, 1))


class Attention(nn.Module):
    """Multi-head self-attention over H*W positions (YOLO11's PSA); MatMul + Softmax in ONNX."""

    def __init__(self, dim, num_heads=8, attn_ratio=0.5):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.key_dim = int(self.head_dim * attn_ratio)
        self.scale = self.key_dim**-0.5
        nh_kd = self.key_dim * num_heads
        h = dim + nh_kd * 2
        self.qkv = Conv(dim, h, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, 3, 1, g=dim, act=False)

    def forward(self, x):
        B, C, H, W = x.shape
        N = H * W
        qkv = self.qkv(x)
        q, k, v = qkv.view(B, self.num_heads, self.key_dim * 2 + self.head_dim, N).split(
            [self.key_dim, self.key_dim, self.head_dim], dim=2
        )
        attn = (q.transpose(-2, -1) @ k) * self.scale
        attn = attn.softmax(dim=-1)
        x = (v @ attn.transpose(-2, -1)).view(B, C, H, W) + self.pe(v.reshape(B, C, H, W))
        return self.proj(x)


class PSABlock(nn.Module):
    def __init__(self, c, attn_ratio=0.5, num_heads=4, shortcut=True):
        super().__init__()
        self.attn = Attention(c, attn_ratio=attn_ratio, num_heads=num_heads)
        self.ffn = nn.Sequential(Conv(c, c * 2, 1), Conv(c * 2, c, 1, act=False))
        self.add = shortcut

    def forward(self, x):
        x = x + self.attn(x) if self.add else self.attn(x)
        return x + self.ffn(x) if self.add else self.ffn(x)


class C2PSA(nn.Module):
    def __init__(self, c1, c2, n=1, e=0.5):
        super().__init__()
        assert c1 == c2
        self.c = int(c1 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv(2 * self.c, c1, 1)
        self.m = nn.Sequential(*(PSABlock(self.c, attn_ratio=0.5, num_heads=self.c // 64) for _ in range(n)))

    def forward(self, x):
        a, b = self.cv1(x).split((self.c, self.c), dim=1)
        b = self.m(b)
        return self.cv2(torch.cat((a, b), 1))


class Concat(nn.Module):
    def __init__(self, dimension=1):
        super().__init__()
        self.d = dimension

    def forward(self, x):
        return torch.cat(x, self.d)


# --------------------------------------------------------------------------- #
# Heads (ultralytics/nn/modules/head.py, yolov5 models/yolo.py)
# --------------------------------------------------------------------------- #


class DFL(nn.Module):
    """Distribution Focal Loss integral: softmax over 16 bins, expectation by a fixed 1x1 conv."""

    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
        self.c1 = c1

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)


def make_anchors(feats, strides, grid_cell_offset=0.5):
    anchor_points, stride_tensor = [], []
    dtype, device = feats[0].dtype, feats[0].device
    for i, stride in enumerate(strides):
        h, w = feats[i].shape[2:]
        sx = torch.arange(end=w, device=device, dtype=dtype) + grid_cell_offset
        sy = torch.arange(end=h, device=device, dtype=dtype) + grid_cell_offset
        sy, sx = torch.meshgrid(sy, sx, indexing="ij")
        anchor_points.append(torch.stack((sx, sy), -1).view(-1, 2))
        stride_tensor.append(torch.full((h * w, 1), stride, dtype=dtype, device=device))
    return torch.cat(anchor_points), torch.cat(stride_tensor)


def dist2bbox(distance, anchor_points, xywh=True, dim=-1):
    lt, rb = distance.chunk(2, dim)
    x1y1 = anchor_points - lt
    x2y2 = anchor_points + rb
    if xywh:
        c_xy = (x1y1 + x2y2) / 2
        wh = x2y2 - x1y1
        return torch.cat((c_xy, wh), dim)
    return torch.cat((x1y1, x2y2), dim)


class Detect(nn.Module):
    """YOLOv8/YOLO11 anchor-free head. Export output: [B, 4 + nc, A], boxes cx,cy,w,h in input pixels."""

    dynamic = False  # the exporter sets this for dynamic=True exports
    legacy = False  # True for YOLOv8 (C2f) models: plain 3x3 convs in the class branch

    def __init__(self, nc=80, ch=(), legacy=False):
        super().__init__()
        self.nc = nc
        self.nl = len(ch)
        self.reg_max = 16
        self.no = nc + self.reg_max * 4
        self.stride = torch.tensor([8.0, 16.0, 32.0])  # what Ultralytics measures with a 256x256 forward
        self.legacy = legacy
        c2, c3 = max((16, ch[0] // 4, self.reg_max * 4)), max(ch[0], min(self.nc, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * self.reg_max, 1)) for x in ch
        )
        if legacy:
            self.cv3 = nn.ModuleList(
                nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, self.nc, 1)) for x in ch
            )
        else:
            self.cv3 = nn.ModuleList(
                nn.Sequential(
                    nn.Sequential(DWConv(x, x, 3), Conv(x, c3, 1)),
                    nn.Sequential(DWConv(c3, c3, 3), Conv(c3, c3, 1)),
                    nn.Conv2d(c3, self.nc, 1),
                )
                for x in ch
            )
        self.dfl = DFL(self.reg_max)
        self.shape = None

    def forward(self, x):
        for i in range(self.nl):
            x[i] = torch.cat((self.cv2[i](x[i]), self.cv3[i](x[i])), 1)
        shape = x[0].shape
        x_cat = torch.cat([xi.view(shape[0], self.no, -1) for xi in x], 2)
        if self.dynamic or self.shape != (shape, x_cat.dtype):
            self.anchors, self.strides = (t.transpose(0, 1) for t in make_anchors(x, self.stride, 0.5))
            self.shape = (shape, x_cat.dtype)
        box, cls = x_cat.split((self.reg_max * 4, self.nc), 1)
        dbox = dist2bbox(self.dfl(box), self.anchors.unsqueeze(0), xywh=True, dim=1) * self.strides
        return torch.cat((dbox, cls.sigmoid()), 1)


class DetectV5(nn.Module):
    """YOLOv5 (v6.0+) anchor-based head. Export output: [B, na*sum(H*W), 5 + nc], all sigmoid-decoded."""

    dynamic = False

    def __init__(self, nc=80, anchors=(), ch=()):
        super().__init__()
        self.nc = nc
        self.no = nc + 5
        self.nl = len(anchors)
        self.na = len(anchors[0]) // 2
        self.stride = torch.tensor([8.0, 16.0, 32.0])
        self.grid = [torch.empty(0) for _ in range(self.nl)]
        self.anchor_grid = [torch.empty(0) for _ in range(self.nl)]
        # YOLOv5 stores anchors in grid units (check_anchor_order + `m.anchors /= m.stride`).
        anchors_px = torch.tensor(anchors).float().view(self.nl, -1, 2)
        self.register_buffer("anchors", anchors_px / self.stride.view(-1, 1, 1))
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)

    def forward(self, x):
        z = []
        for i in range(self.nl):
            x[i] = self.m[i](x[i])
            bs, _, ny, nx = x[i].shape
            x[i] = x[i].view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            if (
                self.dynamic
                or self.grid[i].shape[2:4] != x[i].shape[2:4]
                or self.grid[i].dtype != x[i].dtype
            ):
                self.grid[i], self.anchor_grid[i] = self._make_grid(nx, ny, i)
            xy, wh, conf = x[i].sigmoid().split((2, 2, self.nc + 1), 4)
            xy = (xy * 2 + self.grid[i]) * self.stride[i]
            wh = (wh * 2) ** 2 * self.anchor_grid[i]
            y = torch.cat((xy, wh, conf), 4)
            z.append(y.view(bs, self.na * nx * ny, self.no))
        return torch.cat(z, 1)

    def _make_grid(self, nx, ny, i):
        d, t = self.anchors[i].device, self.anchors[i].dtype
        shape = 1, self.na, ny, nx, 2
        y, x = torch.arange(ny, device=d, dtype=t), torch.arange(nx, device=d, dtype=t)
        yv, xv = torch.meshgrid(y, x, indexing="ij")
        grid = torch.stack((xv, yv), 2).expand(shape) - 0.5
        anchor_grid = (self.anchors[i] * self.stride[i].to(t)).view((1, self.na, 1, 1, 2)).expand(shape)
        return grid, anchor_grid


# --------------------------------------------------------------------------- #
# Model definitions: the Ultralytics model yamls, verbatim, and parse_model
# --------------------------------------------------------------------------- #

UPSAMPLE = "nn.Upsample"

# ultralytics/cfg/models/v8/yolov8.yaml, scale n: [depth, width, max_channels]
YOLOV8 = {
    "scale": (0.33, 0.25, 1024),
    "layers": [
        [-1, 1, Conv, [64, 3, 2]],  # 0-P1/2
        [-1, 1, Conv, [128, 3, 2]],  # 1-P2/4
        [-1, 3, C2f, [128, True]],
        [-1, 1, Conv, [256, 3, 2]],  # 3-P3/8
        [-1, 6, C2f, [256, True]],
        [-1, 1, Conv, [512, 3, 2]],  # 5-P4/16
        [-1, 6, C2f, [512, True]],
        [-1, 1, Conv, [1024, 3, 2]],  # 7-P5/32
        [-1, 3, C2f, [1024, True]],
        [-1, 1, SPPF, [1024, 5]],  # 9
        [-1, 1, UPSAMPLE, [None, 2, "nearest"]],
        [[-1, 6], 1, Concat, [1]],
        [-1, 3, C2f, [512]],  # 12
        [-1, 1, UPSAMPLE, [None, 2, "nearest"]],
        [[-1, 4], 1, Concat, [1]],
        [-1, 3, C2f, [256]],  # 15 (P3/8-small)
        [-1, 1, Conv, [256, 3, 2]],
        [[-1, 12], 1, Concat, [1]],
        [-1, 3, C2f, [512]],  # 18 (P4/16-medium)
        [-1, 1, Conv, [512, 3, 2]],
        [[-1, 9], 1, Concat, [1]],
        [-1, 3, C2f, [1024]],  # 21 (P5/32-large)
        [[15, 18, 21], 1, Detect, ["nc"]],
    ],
}

# ultralytics/cfg/models/11/yolo11.yaml, scale n
YOLO11 = {
    "scale": (0.50, 0.25, 1024),
    "layers": [
        [-1, 1, Conv, [64, 3, 2]],  # 0-P1/2
        [-1, 1, Conv, [128, 3, 2]],  # 1-P2/4
        [-1, 2, C3k2, [256, False, 0.25]],
        [-1, 1, Conv, [256, 3, 2]],  # 3-P3/8
        [-1, 2, C3k2, [512, False, 0.25]],
        [-1, 1, Conv, [512, 3, 2]],  # 5-P4/16
        [-1, 2, C3k2, [512, True]],
        [-1, 1, Conv, [1024, 3, 2]],  # 7-P5/32
        [-1, 2, C3k2, [1024, True]],
        [-1, 1, SPPF, [1024, 5]],  # 9
        [-1, 2, C2PSA, [1024]],  # 10
        [-1, 1, UPSAMPLE, [None, 2, "nearest"]],
        [[-1, 6], 1, Concat, [1]],
        [-1, 2, C3k2, [512, False]],  # 13
        [-1, 1, UPSAMPLE, [None, 2, "nearest"]],
        [[-1, 4], 1, Concat, [1]],
        [-1, 2, C3k2, [256, False]],  # 16 (P3/8-small)
        [-1, 1, Conv, [256, 3, 2]],
        [[-1, 13], 1, Concat, [1]],
        [-1, 2, C3k2, [512, False]],  # 19 (P4/16-medium)
        [-1, 1, Conv, [512, 3, 2]],
        [[-1, 10], 1, Concat, [1]],
        [-1, 2, C3k2, [1024, True]],  # 22 (P5/32-large)
        [[16, 19, 22], 1, Detect, ["nc"]],
    ],
}

# yolov5 models/yolov5n.yaml (v6.0+): depth_multiple 0.33, width_multiple 0.25
YOLOV5 = {
    "scale": (0.33, 0.25, 1024),
    "layers": [
        [-1, 1, Conv, [64, 6, 2, 2]],  # 0-P1/2
        [-1, 1, Conv, [128, 3, 2]],  # 1-P2/4
        [-1, 3, C3, [128]],
        [-1, 1, Conv, [256, 3, 2]],  # 3-P3/8
        [-1, 6, C3, [256]],
        [-1, 1, Conv, [512, 3, 2]],  # 5-P4/16
        [-1, 9, C3, [512]],
        [-1, 1, Conv, [1024, 3, 2]],  # 7-P5/32
        [-1, 3, C3, [1024]],
        [-1, 1, SPPF, [1024, 5]],  # 9
        [-1, 1, Conv, [512, 1, 1]],
        [-1, 1, UPSAMPLE, [None, 2, "nearest"]],
        [[-1, 6], 1, Concat, [1]],
        [-1, 3, C3, [512, False]],  # 13
        [-1, 1, Conv, [256, 1, 1]],
        [-1, 1, UPSAMPLE, [None, 2, "nearest"]],
        [[-1, 4], 1, Concat, [1]],
        [-1, 3, C3, [256, False]],  # 17 (P3/8-small)
        [-1, 1, Conv, [256, 3, 2]],
        [[-1, 14], 1, Concat, [1]],
        [-1, 3, C3, [512, False]],  # 20 (P4/16-medium)
        [-1, 1, Conv, [512, 3, 2]],
        [[-1, 10], 1, Concat, [1]],
        [-1, 3, C3, [1024, False]],  # 23 (P5/32-large)
        [[17, 20, 23], 1, DetectV5, ["nc", "anchors"]],
    ],
    "anchors": [
        [10, 13, 16, 30, 33, 23],  # P3/8
        [30, 61, 62, 45, 59, 119],  # P4/16
        [116, 90, 156, 198, 373, 326],  # P5/32
    ],
}

ARCHITECTURES = {"yolov8n": YOLOV8, "yolov5n": YOLOV5, "yolo11n": YOLO11}

_REPEATED = (C2f, C3k2, C3, C2PSA)  # parse_model passes n into these instead of stacking modules


def make_divisible(x, divisor):
    return math.ceil(x / divisor) * divisor


class DetectionModel(nn.Module):
    """`self.model` is an nn.Sequential of layers with `.f` (from) indices, as in Ultralytics' BaseModel."""

    def __init__(self, spec, nc=80):
        super().__init__()
        depth, width, max_channels = spec["scale"]
        legacy = not any(m is C3k2 for _, _, m, _ in spec["layers"])  # Detect.legacy: v8-style class branch
        ch = [3]
        layers = []
        for i, (f, n, m, args) in enumerate(spec["layers"]):
            n = max(round(n * depth), 1) if n > 1 else n
            if m is UPSAMPLE:
                module, c2 = nn.Upsample(*args), ch[f]
            elif m is Concat:
                module, c2 = Concat(*args), sum(ch[x] for x in f)
            elif m is Detect:
                module, c2 = Detect(nc, [ch[x] for x in f], legacy=legacy), None
            elif m is DetectV5:
                module, c2 = DetectV5(nc, spec["anchors"], [ch[x] for x in f]), None
            else:
                c1, c2 = ch[f], make_divisible(min(args[0], max_channels) * width, 8)
                margs = [c1, c2, *args[1:]]
                if m in _REPEATED:
                    margs.insert(2, n)
                    n = 1
                module = nn.Sequential(*(m(*margs) for _ in range(n))) if n > 1 else m(*margs)
            module.f, module.i = f, i
            layers.append(module)
            if i == 0:
                ch = []  # from here on ch[j] is layer j's output channels
            ch.append(c2)
        self.model = nn.Sequential(*layers)
        self.stride = torch.tensor([8.0, 16.0, 32.0])

    def forward(self, x):
        y = []
        for m in self.model:
            if m.f != -1:
                x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
            x = m(x)
            y.append(x)
        return x

    def head(self):
        return self.model[-1]

    def fuse(self):
        """Folds every Conv's BatchNorm into its convolution, as Ultralytics' model.fuse() does before export."""
        for m in list(self.modules()):
            if isinstance(m, Conv) and hasattr(m, "bn"):
                m.conv = fuse_conv_and_bn(m.conv, m.bn)
                delattr(m, "bn")
        return self


def fuse_conv_and_bn(conv, bn):
    """ultralytics/utils/torch_utils.py fuse_conv_and_bn (float32 arithmetic, like Ultralytics)."""
    fused = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        kernel_size=conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
    ).requires_grad_(False)
    w_conv = conv.weight.view(conv.out_channels, -1)
    w_bn = torch.diag(bn.weight.div(torch.sqrt(bn.eps + bn.running_var)))
    fused.weight.copy_(torch.mm(w_bn, w_conv).view(fused.weight.shape))
    b_conv = torch.zeros(conv.weight.shape[0]) if conv.bias is None else conv.bias
    b_bn = bn.bias - bn.weight.mul(bn.running_mean).div(torch.sqrt(bn.running_var + bn.eps))
    fused.bias.copy_(torch.mm(w_bn, b_conv.reshape(-1, 1)).reshape(-1) + b_bn)
    return fused


def set_dynamic(model, dynamic):
    """What the exporter does for dynamic=True: the head recomputes anchors/grids from traced shapes."""
    model.head().dynamic = dynamic


def reset_caches(model):
    head = model.head()
    if isinstance(head, Detect):
        head.shape = None
    else:
        head.grid = [torch.empty(0) for _ in range(head.nl)]
        head.anchor_grid = [torch.empty(0) for _ in range(head.nl)]


def randomize_batchnorm(model, calib_input, gen):
    """Random, non-trivial BN parameters that still keep activations O(1).

    gamma ~ U(0.5, 1.5), beta ~ U(-0.5, 0.5). Running statistics are measured on
    `calib_input` as it reaches each BN in one eval-mode pass, then perturbed
    (mean + 0.25 std * N(0,1), var * U(0.6, 1.6)) so they are not exact batch
    statistics. Measuring during the same pass, after upstream layers already use
    their perturbed statistics, keeps every layer's input roughly normalised:
    perturbing after a plain train-mode pass compounds ~10% per layer and drives
    the 60-layer heads into saturation (sigmoid scores of exactly 0 or 1, one-hot
    DFL softmax), which would make the fixtures blind to numerical errors.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]

    def measure(bn, inputs):
        x = inputs[0]
        c = bn.num_features
        mean = x.mean(dim=(0, 2, 3))
        # Floor: a channel that is nearly constant on the calibration images would
        # otherwise get a huge 1/sqrt(var) and amplify any other image's offset.
        var = x.var(dim=(0, 2, 3))
        var = torch.maximum(var, 0.25 * var.mean())
        bn.running_mean.copy_(mean + 0.25 * var.sqrt() * torch.randn(c, generator=gen))
        bn.running_var.copy_(var * (torch.rand(c, generator=gen) + 0.6))

    with torch.no_grad():
        for bn in bns:
            c = bn.num_features
            bn.weight.copy_(torch.rand(c, generator=gen) + 0.5)
            bn.bias.copy_(torch.rand(c, generator=gen) - 0.5)
        handles = [bn.register_forward_pre_hook(measure) for bn in bns]
        model.eval()
        model(calib_input)
        for h in handles:
            h.remove()


def build(name, seed, nc=80):
    """The named replica with seeded random weights, BN randomized, fused and in eval mode (float32)."""
    torch.manual_seed(seed)  # nn.Conv2d's default (Kaiming-uniform) init draws from the global generator
    model = DetectionModel(ARCHITECTURES[name], nc)
    gen = torch.Generator().manual_seed(seed + 1)
    calib = torch.rand(2, 3, 320, 320, generator=gen)
    randomize_batchnorm(model, calib, gen)
    with torch.no_grad():
        model.fuse().eval()
    reset_caches(model)
    for p in model.parameters():
        p.requires_grad_(False)
    return model
