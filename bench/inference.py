"""Inference speed: a 60 x 320 x 320 volume through the paper's FC-DenseNet, naive baseline against the optimised path.

Baseline: eager fp32, one slice at a time, `torch.no_grad` (what a first implementation does), on the z-scored slices.
Optimised: the package's own `nervenet.inference.predict_volume` (slices in batches, `torch.inference_mode`, channels_last,
bf16 autocast where the device has bf16 arithmetic) at a few batch sizes and precisions, and through `CompiledNet`
(`torch.compile` with weight freezing on a CPU, CUDA graphs on a GPU): every variant is the code `nervenet segment` runs.
The device limit is a large matrix multiply timed in the same run: model FLOPs per volume / time over matmul FLOP/s.
The memory side is a large copy timed in the same run: with a model of the activation bytes each layer moves, the roofline
time (the larger of FLOPs / matmul FLOP/s and bytes / copy bandwidth) says how close the path is to what the network's
arithmetic intensity allows on this device.

    python bench/inference.py                       # every figure on the default device
    python bench/inference.py --naive-slices 8      # time 8 baseline slices and scale to the volume (a slow CPU)
"""
from __future__ import annotations
import copy, math, time
import torch
from torch.utils.flop_counter import FlopCounterMode
import benchlib as bl
import numpy as np, nibabel as nib
from nervenet.model import fcdensenet_paper, n_params, conv_shapes
from nervenet.inference import predict_volume, inference_dtype, default_batch_size, CompiledNet
from nervenet.data import zscore

def add_args(p):
    p.add_argument('--slices', type=int, default=60, help='slices in the volume')
    p.add_argument('--size', type=int, default=320, help='in-plane size (the paper crop)')
    p.add_argument('--batch', type=int, default=None, help='slices per forward on the optimised path (default: 60 on a GPU; on a CPU 2, and 1 and 2 for bf16)')
    p.add_argument('--naive-slices', type=int, default=None, help='baseline slices timed and scaled to the volume (default: all)')
    p.add_argument('--probe-slices', type=int, default=None, help='slices used to compare the optimised variants (default: all)')
    p.add_argument('--compile', choices=['auto', 'on', 'off'], default='auto',
                   help='torch.compile the optimised path (auto: try it and keep it where it is faster)')
    p.add_argument('--no-bf16', action='store_true', help='keep the optimised path in fp32')

def naive_predict(model, vol):
    "Nerve probability of every slice of `vol` (S,1,H,W), one eager fp32 forward per slice"
    out = vol.new_empty(vol.shape[0], *vol.shape[2:])
    with torch.no_grad():
        for k in range(vol.shape[0]): out[k] = model(vol[k:k+1]).softmax(1)[0, 1]
    return out

def library_predictor(model, device, batch:int, precision:str, compile:bool):
    """The package's own inference path on a volume (S,1,H,W): `nervenet.inference.predict_volume` on the same slices as a
    NIfTI stack (z-score, crop, batches, channels-last, precision), optionally through `CompiledNet` (`segment --compile`)"""
    net = CompiledNet(copy.deepcopy(model), device) if compile else model
    def predict(vol):
        img = as_stack(vol)
        return torch.from_numpy(predict_volume(net, img, vol.shape[-1], device, batch_size=batch, precision=precision)).permute(2, 0, 1)
    predict.net = net
    return predict

def as_stack(vol)->nib.Nifti1Image:
    "Slices (S,1,H,W) as a NIfTI stack at the paper's voxel size (slices along the last axis)"
    return nib.Nifti1Image(vol[:, 0].permute(1, 2, 0).cpu().numpy(), np.diag([-0.52, -0.52, 4.4, 1.]))

def activation_bytes(model, size:int, itemsize:int)->float:
    """Bytes of feature maps moved per slice by an implementation that fuses concatenation, batch norm and ReLU into one
    kernel per layer (what `torch.compile` generates): that kernel reads the layer's input channels and writes them
    activated, the convolution reads them again (3 passes over its input), and its output is written and copied once into
    the next concatenation (2 passes over its output)"""
    return float(itemsize*sum(3*math.prod(i[1:]) + 2*math.prod(o[1:]) for _, i, o in conv_shapes(model, size)))

def op_breakdown(predict, vol, flops:float)->dict:
    "Share of time per kind of operator on one eager chunk, and the FLOP/s of the convolutions alone"
    from torch.profiler import profile, ProfilerActivity
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if vol.is_cuda else [])
    with profile(activities=acts) as prof: predict(vol)
    kinds = dict(convolution=('conv',), batch_norm=('batch_norm',), relu=('relu', 'threshold'), concatenation=('cat',),
                 pooling=('pool',), copies_and_casts=('copy', '_to_copy', 'clone', 'contiguous'), softmax=('softmax',))
    attr = 'self_device_time_total' if vol.is_cuda else 'self_cpu_time_total'
    times = dict.fromkeys(list(kinds) + ['other'], 0.0)
    for e in prof.key_averages():
        if not e.key.startswith('aten::'): continue
        k = next((k for k, pats in kinds.items() if any(p in e.key for p in pats)), 'other')
        times[k] += getattr(e, attr, 0.0)/1e6
    total = sum(times.values()) or 1.0
    return dict(share={k: v/total for k, v in times.items()}, conv_seconds=times['convolution'],
                conv_flops_per_s=flops/times['convolution'] if times['convolution'] else None)

def main():
    a = bl.parse_args(__doc__.splitlines()[0], add_args)
    dev, cuda = a.device, a.device.type == 'cuda'
    if cuda: torch.backends.cudnn.benchmark = True
    env = bl.environment(dev)
    print('inference benchmark on', bl.fmt_env(env))
    S, H = a.slices, a.size
    batch = a.batch or (S if cuda else 2)
    n_naive = min(a.naive_slices or S, S)
    n_probe = min(a.probe_slices or S, S)
    bf16 = bl.bf16_ok(dev) and not a.no_bf16

    torch.manual_seed(0)
    model = fcdensenet_paper().eval().to(dev)  # random weights: the time does not depend on them
    vol = torch.randn(S, 1, H, H, device=dev)   # a z-scored 60-slice stack, cropped to 320 x 320
    with FlopCounterMode(display=False) as fc, torch.no_grad(): model(vol[:1])
    flops_slice = float(fc.get_total_flops())
    flops_vol = flops_slice*S
    print(f'model: {n_params(model):,} parameters, {flops_slice/1e9:.1f} GFLOP per slice, {flops_vol/1e12:.2f} TFLOP per volume')

    mm = {'fp32': bl.matmul_flops(dev, torch.float32, repeats=a.repeats)}
    if bf16: mm['bf16'] = bl.matmul_flops(dev, torch.bfloat16, repeats=a.repeats)
    print('matmul limit: ' + ', '.join(f'{k} {v/1e9:,.0f} GFLOP/s' for k, v in mm.items()))
    bw = bl.copy_bandwidth(dev, repeats=a.repeats)
    print(f'memory limit: copy {bw/1e9:,.1f} GB/s (bytes read + written)')

    # baseline: eager fp32, one slice at a time (warm-up now; timed later, interleaved with the optimised path)
    ref = {}
    zvol = torch.from_numpy(zscore(vol[:, 0].cpu().numpy()))[:, None].to(dev) # what predict_volume feeds the network
    def run_naive(): ref['p'] = naive_predict(model, zvol[:n_naive]).cpu()
    run_naive()

    # optimised variants, compared on the probe slices; torch.compile is tried on the fastest eager one
    batches = [batch] if cuda or a.batch else [1, 2]
    variants = [dict(name=f'predict_volume fp32, batch {b}', batch=b, bf16=False, channels_last=True, compile=False) for b in batches]
    if bf16: variants += [dict(name=f'predict_volume bf16 autocast, batch {b}', batch=b, bf16=True, channels_last=True,
                               compile=False) for b in batches]
    probe = vol[:n_probe]
    def run_variant(v):
        f = library_predictor(model, dev, v['batch'], 'bf16' if v['bf16'] else 'fp32', v['compile'])
        t0 = time.perf_counter(); f(probe[:v['batch']]); bl.sync(dev); v['first_call_s'] = time.perf_counter() - t0
        v['time'] = bl.summary(bl.timeit(lambda: f(probe), dev, a.repeats, warmup=2 if cuda else 0), S/n_probe)  # CUDA graphs record on the first calls
        v['fn'] = f
        print(f"  {v['name']}: {v['time']['best']*1e3:,.0f} ms per volume (first call {v['first_call_s']:.1f} s)", flush=True)
    for v in variants: run_variant(v)
    if a.compile in ('on', 'auto'):
        best = min(variants, key=lambda v: v['time']['best'])
        variants.append(dict(best, name=best['name'] + ', CompiledNet' + (' (CUDA graphs)' if cuda else ' (freezing)'), compile=True))
        run_variant(variants[-1])
    chosen = variants[-1] if a.compile == 'on' else min(variants, key=lambda v: v['time']['best'])
    batch = chosen['batch']

    # the chosen path on the whole volume and the baseline, interleaved so that a change of load hits both alike
    out = {}
    def run_opt(): out['p'] = chosen['fn'](vol)
    ts_naive, ts_opt = [], []
    for _ in range(a.repeats):
        ts_naive += bl.timeit(run_naive, dev, 1, warmup=0)
        ts_opt += bl.timeit(run_opt, dev, 1, warmup=0)  # warmed up on the probe slices (same batch shape)
    t_naive, t_opt = bl.summary(ts_naive, S/n_naive), bl.summary(ts_opt)
    print(f"baseline (eager fp32, 1 slice at a time{'' if n_naive == S else f', {n_naive} slices scaled to {S}'}): "
          f"{t_naive['best']*1e3:,.0f} ms per volume (median {t_naive['median']*1e3:,.0f})")
    for k in list(mm): mm[k] = max(mm[k], bl.matmul_flops(dev, torch.float32 if k == 'fp32' else torch.bfloat16, repeats=a.repeats))
    print('matmul limit (best of the start and the end of the run): ' + ', '.join(f'{k} {v/1e9:,.0f} GFLOP/s' for k, v in mm.items()))
    bw = max(bw, bl.copy_bandwidth(dev, repeats=a.repeats))
    print(f'memory limit (best of the start and the end of the run): copy {bw/1e9:,.1f} GB/s')
    max_diff = float((out['p'][:n_naive] - ref['p']).abs().max())
    achieved = flops_vol/t_opt['best']
    limit_key = 'bf16' if chosen['bf16'] else 'fp32'
    frac = achieved/mm[limit_key]
    speedup = t_naive['best']/t_opt['best']
    print(f"optimised ({chosen['name']}): {t_opt['best']*1e3:,.0f} ms per volume (median {t_opt['median']*1e3:,.0f}), "
          f"max |p - p_fp32| = {max_diff:.2e}")
    print(f"speed-up over the baseline, side by side: {speedup:.1f}x")
    print(f"achieved {achieved/1e9:,.0f} GFLOP/s = {frac:.1%} of the {limit_key} matmul limit "
          f"({achieved/mm['fp32']:.1%} of the fp32 one); baseline {flops_vol/t_naive['best']/1e9:,.0f} GFLOP/s")

    # roofline: the network moves its feature maps as well as computing on them; which of the two limits binds?
    bytes_vol = activation_bytes(model, H, 2 if chosen['bf16'] else 4)*S
    t_flops, t_bytes = flops_vol/mm[limit_key], bytes_vol/bw
    roof = dict(bytes_per_volume=bytes_vol, copy_gb_per_s=bw/1e9, flop_per_byte=flops_vol/bytes_vol,
                machine_flop_per_byte=mm[limit_key]/bw, ms_compute_bound=t_flops*1e3, ms_memory_bound=t_bytes*1e3,
                bound='memory' if t_bytes > t_flops else 'compute', fraction_of_roofline=max(t_flops, t_bytes)/t_opt['best'],
                max_fraction_of_limit=min(1.0, t_flops/t_bytes))
    print(f"roofline: {bytes_vol/1e9:,.1f} GB of feature maps per volume (model), {roof['flop_per_byte']:.0f} FLOP per byte "
          f"against the device's {roof['machine_flop_per_byte']:.0f}: {roof['bound']}-bound; at the copy bandwidth the "
          f"traffic alone takes {t_bytes*1e3:,.0f} ms, the FLOPs at the matmul limit {t_flops*1e3:,.0f} ms; the optimised "
          f"path runs at {roof['fraction_of_roofline']:.0%} of the roofline, whose share of the matmul limit is at most "
          f"{roof['max_fraction_of_limit']:.0%}")

    eager = next(v for v in variants if not v['compile'] and v['bf16'] == chosen['bf16'] and v['batch'] == chosen['batch'])
    bd = op_breakdown(eager['fn'], vol[:2*batch], flops_slice*2*batch)
    conv_frac = bd['conv_flops_per_s']/mm[limit_key] if bd['conv_flops_per_s'] else None
    non_conv = 1 - bd['share']['convolution']
    conv_note = (": the dense layers make only 12 maps each (growth rate), so their GEMMs are thin" if conv_frac and conv_frac < 0.5
                 else ": close to the limit, so the time is lost elsewhere")
    why = (f"convolutions take {bd['share']['convolution']:.0%} of the eager operator time and run at "
           f"{bd['conv_flops_per_s']/1e9:,.0f} GFLOP/s ({conv_frac:.0%} of the matmul limit){conv_note}; batch norm, ReLU, "
           f"concatenation, pooling and casts take {non_conv:.0%}: memory-bound work without FLOPs (every feature map is "
           f"normalised, activated and, in the dense blocks, copied again by each concatenation)") if conv_frac and frac < 0.5 else ''
    if why and roof['bound'] == 'memory':
        why += (f". With one fused kernel per layer the feature maps still cross memory about five times per layer: "
                f"{roof['flop_per_byte']:.0f} FLOP per byte, while this device needs {roof['machine_flop_per_byte']:.0f} to be "
                f"compute-bound, so no implementation that writes the layers' activated maps to memory can exceed "
                f"{roof['max_fraction_of_limit']:.0%} of the matmul limit here; the optimised path reaches "
                f"{roof['fraction_of_roofline']:.0%} of that roofline. Only kernels that normalise and activate inside the "
                f"convolution could go further")
    target = dict(kind='fraction of the matmul limit', goal=0.5, value=frac, met=frac >= 0.5,
                  missed_by=None if frac >= 0.5 else 0.5/frac)
    if cuda: target.update(ms_goal=20.0, ms_value=t_opt['best']*1e3, ms_met=t_opt['best']*1e3 <= 20.0)
    print('target (within 2x of the matmul limit): ' + ('met' if target['met'] else f"missed by {target['missed_by']:.1f}x")
          + (f"; H200 goal <= 20 ms: {'met' if target['ms_met'] else 'missed'}" if cuda else ''))
    if why: print('why:', why)

    # what a user gets: the library's predict_volume on a NIfTI stack (z-score, crop, batches, defaults), same model and device
    img = as_stack(vol)
    def run_lib(): predict_volume(model, img, H, dev)
    run_lib()
    t_lib = bl.summary(bl.timeit(run_lib, dev, a.repeats, warmup=0))
    lib_dtype = inference_dtype(dev)
    library = dict(name=f"nervenet.inference.predict_volume (precision 'auto' = {'bf16' if lib_dtype is not None else 'fp32'}, "
                        f"batch {default_batch_size(dev)}, channels_last, eager)",
                   ms_per_volume=t_lib['best']*1e3, ms_median=t_lib['median']*1e3, speedup_vs_baseline=t_naive['best']/t_lib['best'],
                   fraction_of_limit=flops_vol/t_lib['best']/mm['bf16' if lib_dtype is not None and 'bf16' in mm else 'fp32'])
    print(f"library ({library['name']}): {t_lib['best']*1e3:,.0f} ms per volume, {library['speedup_vs_baseline']:.1f}x the baseline, "
          f"{library['fraction_of_limit']:.1%} of the matmul limit")
    if a.compile != 'off': # the same with `compile=True` (`nervenet segment --compile`): CompiledNet around the model
        cnet = CompiledNet(copy.deepcopy(model), dev)
        t0 = time.perf_counter(); predict_volume(cnet, img, H, dev); bl.sync(dev); first = time.perf_counter() - t0
        t_c = bl.summary(bl.timeit(lambda: predict_volume(cnet, img, H, dev), dev, a.repeats, warmup=0))
        library['compiled'] = dict(ms_per_volume=t_c['best']*1e3, ms_median=t_c['median']*1e3, first_call_s=first,
                                   speedup_vs_baseline=t_naive['best']/t_c['best'], failed=cnet.failed)
        print(f"library compiled (CompiledNet): {t_c['best']*1e3:,.0f} ms per volume (first call, compiling, {first:.1f} s), "
              f"{t_naive['best']/t_c['best']:.1f}x the baseline" + (f"; compile failed: {cnet.failed}" if cnet.failed else ''))

    rec = dict(name='inference', env=env,
               config=dict(slices=S, size=H, batch=batch, naive_slices=n_naive, probe_slices=n_probe, repeats=a.repeats,
                           bf16=bf16, compile=a.compile),
               model=dict(name='fcdensenet_paper', params=n_params(model), gflop_per_slice=flops_slice/1e9,
                          tflop_per_volume=flops_vol/1e12),
               matmul_gflops={k: v/1e9 for k, v in mm.items()},
               baseline=dict(name='eager fp32, one slice at a time', ms_per_volume=t_naive['best']*1e3,
                             ms_median=t_naive['median']*1e3, scaled_from_slices=n_naive,
                             gflops=flops_vol/t_naive['best']/1e9),
               optimised=dict(name=chosen['name'], ms_per_volume=t_opt['best']*1e3, ms_median=t_opt['median']*1e3,
                              gflops=achieved/1e9, bf16=chosen['bf16'], channels_last=chosen['channels_last'],
                              compile=chosen['compile'], max_prob_diff_vs_fp32=max_diff),
               variants=[dict(name=v['name'], ms_per_volume=v['time']['best']*1e3, ms_median=v['time']['median']*1e3,
                              first_call_s=v['first_call_s'], scaled_from_slices=n_probe, batch=v['batch']) for v in variants],
               library=library, speedup=speedup, limit=f'{limit_key} matmul', fraction_of_limit=frac,
               fraction_of_fp32_limit=achieved/mm['fp32'], roofline=roof, target=target, breakdown=bd, why=why)
    bl.finish('inference', rec, a)

if __name__ == '__main__': main()
