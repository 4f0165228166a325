# bh4_fold-b64-mode0-nb16-r1 for {'mcpu': 'rocketlake', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on Intel(R) Xeon(R) Processor: 0.319 ms at 4096 tokens after 1 trials
# knobs: {}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(weight: T.Buffer((1, 4, 16, 64, 64), "float32"), hadamard: T.Buffer((64, 64), "float32"), folded: T.Buffer((4, 1, 16, 64, 64), "float32")):
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    for s_rr_n_i_0_fused in T.parallel(64):
        for i_1 in range(64):
            for o_0_init in range(4):
                for o_1_init in T.vectorized(16):
                    with T.sblock("folded_init"):
                        v_s = T.axis.spatial(4, s_rr_n_i_0_fused // 16)
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, s_rr_n_i_0_fused % 16)
                        v_i = T.axis.spatial(64, i_1)
                        v_o = T.axis.spatial(64, o_0_init * 16 + o_1_init)
                        T.reads()
                        T.writes(folded[v_s, v_rr, v_n, v_i, v_o])
                        folded[v_s, v_rr, v_n, v_i, v_o] = T.float32(0.0)
            for j, o_0 in T.grid(64, 4):
                for o_1 in T.vectorized(16):
                    with T.sblock("folded_update"):
                        v_s = T.axis.spatial(4, s_rr_n_i_0_fused // 16)
                        v_rr = T.axis.spatial(1, 0)
                        v_n = T.axis.spatial(16, s_rr_n_i_0_fused % 16)
                        v_i = T.axis.spatial(64, i_1)
                        v_o = T.axis.spatial(64, o_0 * 16 + o_1)
                        v_j = T.axis.reduce(64, j)
                        T.reads(folded[v_s, v_rr, v_n, v_i, v_o], hadamard[v_j, v_o], weight[v_rr, v_s, v_n, v_j, v_i])
                        T.writes(folded[v_s, v_rr, v_n, v_i, v_o])
                        folded[v_s, v_rr, v_n, v_i, v_o] = folded[v_s, v_rr, v_n, v_i, v_o] + hadamard[v_j, v_o] * weight[v_rr, v_s, v_n, v_j, v_i]