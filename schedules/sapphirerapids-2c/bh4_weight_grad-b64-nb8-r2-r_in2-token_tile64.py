# bh4_weight_grad-b64-nb8-r2-r_in2-token_tile64 for {'mcpu': 'sapphirerapids', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 5.706 ms at 4096 tokens after 2 trials
# knobs: {'unroll': 0}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(grad_mm: T.Buffer(("batch", 64, 2, 8, 64), "float32"), stage_input: T.Buffer((batch, 64, 2, 8, 64), "float32"), grad_weight: T.Buffer((2, 8, 64, 64), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    for rr_n_fused in T.parallel(16):
        for i_init, o_0_init in T.grid(64, 4):
            for o_1_init in T.vectorized(16):
                with T.sblock("grad_weight_init"):
                    v_rr = T.axis.spatial(2, rr_n_fused // 8)
                    v_n = T.axis.spatial(8, rr_n_fused % 8)
                    v_i = T.axis.spatial(64, i_init)
                    v_o = T.axis.spatial(64, o_0_init * 16 + o_1_init)
                    T.reads()
                    T.writes(grad_weight[v_rr, v_n, v_i, v_o])
                    grad_weight[v_rr, v_n, v_i, v_o] = T.float32(0.0)
        for q, i, t, o_0 in T.grid(batch, 64, 64, 4):
            for o_1 in T.vectorized(16):
                with T.sblock("grad_weight_update"):
                    v_rr = T.axis.spatial(2, rr_n_fused // 8)
                    v_n = T.axis.spatial(8, rr_n_fused % 8)
                    v_i = T.axis.spatial(64, i)
                    v_o = T.axis.spatial(64, o_0 * 16 + o_1)
                    v_q, v_t = T.axis.remap("RR", [q, t])
                    T.reads(grad_weight[v_rr, v_n, v_i, v_o], stage_input[v_q, v_t, v_rr, v_n, v_i], grad_mm[v_q, v_t, v_rr, v_n, v_o])
                    T.writes(grad_weight[v_rr, v_n, v_i, v_o])
                    grad_weight[v_rr, v_n, v_i, v_o] = grad_weight[v_rr, v_n, v_i, v_o] + stage_input[v_q, v_t, v_rr, v_n, v_i] * grad_mm[v_q, v_t, v_rr, v_n, v_o]