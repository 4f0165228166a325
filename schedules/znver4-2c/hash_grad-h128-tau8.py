# hash_grad-h128-tau8 for {'mcpu': 'znver4', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on AMD EPYC: 14.915 ms at 4096 tokens after 4 trials
# knobs: {'tokens': 16}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(z: T.Buffer(("batch", 128, 8), "float32"), grad_scores: T.Buffer((batch, 128), "float32"), grad_z: T.Buffer((batch, 128, 8), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    abs_sum = T.sblock_alloc_buffer((batch, 128))
    inv_denominator = T.sblock_alloc_buffer((batch, 128))
    for b_0 in T.parallel((batch + 15) // 16):
        for b_1 in range(16):
            for ax0 in range(128):
                with T.sblock("inv_denominator"):
                    v_b = T.axis.spatial(batch, b_0 * 16 + b_1)
                    v_k = T.axis.spatial(128, ax0)
                    T.where(b_0 * 16 + b_1 < batch)
                    T.reads(z[v_b, v_k, 0:8])
                    T.writes(inv_denominator[v_b, v_k])
                    inv_denominator[v_b, v_k] = T.float32(1.0) / ((T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 0]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 1]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 2]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 3]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 4]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 5]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 6]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 7]))))
            for ax0 in range(128):
                with T.sblock("abs_sum"):
                    v_b = T.axis.spatial(batch, b_0 * 16 + b_1)
                    v_k = T.axis.spatial(128, ax0)
                    T.where(b_0 * 16 + b_1 < batch)
                    T.reads(z[v_b, v_k, 0:8])
                    T.writes(abs_sum[v_b, v_k])
                    abs_sum[v_b, v_k] = T.fabs(z[v_b, v_k, 0]) + T.fabs(z[v_b, v_k, 1]) + T.fabs(z[v_b, v_k, 2]) + T.fabs(z[v_b, v_k, 3]) + T.fabs(z[v_b, v_k, 4]) + T.fabs(z[v_b, v_k, 5]) + T.fabs(z[v_b, v_k, 6]) + T.fabs(z[v_b, v_k, 7])
            for k, j in T.grid(128, 8):
                with T.sblock("grad_z"):
                    v_b = T.axis.spatial(batch, b_0 * 16 + b_1)
                    v_k, v_j = T.axis.remap("SS", [k, j])
                    T.where(b_0 * 16 + b_1 < batch)
                    T.reads(grad_scores[v_b, v_k], z[v_b, v_k, v_j], abs_sum[v_b, v_k], inv_denominator[v_b, v_k])
                    T.writes(grad_z[v_b, v_k, v_j])
                    grad_z[v_b, v_k, v_j] = grad_scores[v_b, v_k] * T.Select(T.float32(0.0) < z[v_b, v_k, v_j], T.float32(1.0), T.Select(z[v_b, v_k, v_j] < T.float32(0.0), T.float32(-1.0), T.float32(0.0))) * (T.float32(1.0) + T.float32(2.0) * abs_sum[v_b, v_k] * (T.float32(1.0) / (T.float32(1.0) + T.exp(T.float32(2.0) * T.fabs(z[v_b, v_k, v_j]))))) * inv_denominator[v_b, v_k]