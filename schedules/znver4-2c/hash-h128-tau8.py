# hash-h128-tau8 for {'mcpu': 'znver4', 'kind': 'llvm', 'num-cores': 2, 'mattr': ['-prefer-256-bit']}
# measured on AMD EPYC: 6.774 ms at 4096 tokens after 4 trials
# knobs: {'tokens': 256}
# from tvm.script import tirx as T
# from tvm.tirx.layout import Axis

@T.prim_func(s_tir=True)
def main(z: T.Buffer(("batch", 128, 8), "float32"), hash_v0: T.Buffer((batch, 128), "int32"), hash_v1: T.Buffer((batch, 128), "float32")):
    batch = T.int32()
    T.func_attr({"tirx.noalias": True})
    # with T.sblock("root"):
    for b_0 in T.parallel((batch + 255) // 256):
        for b_1, k in T.grid(256, 128):
            with T.sblock("hash_v0"):
                v_b = T.axis.spatial(batch, b_0 * 256 + b_1)
                v_k = T.axis.spatial(128, k)
                T.where(b_0 * 256 + b_1 < batch)
                T.reads(z[v_b, v_k, 0:8])
                T.writes(hash_v0[v_b, v_k])
                hash_v0[v_b, v_k] = T.Select(T.float32(0.0) < z[v_b, v_k, 0], 128, 0) + T.Select(T.float32(0.0) < z[v_b, v_k, 1], 64, 0) + T.Select(T.float32(0.0) < z[v_b, v_k, 2], 32, 0) + T.Select(T.float32(0.0) < z[v_b, v_k, 3], 16, 0) + T.Select(T.float32(0.0) < z[v_b, v_k, 4], 8, 0) + T.Select(T.float32(0.0) < z[v_b, v_k, 5], 4, 0) + T.Select(T.float32(0.0) < z[v_b, v_k, 6], 2, 0) + T.Select(T.float32(0.0) < z[v_b, v_k, 7], 1, 0)
            with T.sblock("hash_v1"):
                v_b = T.axis.spatial(batch, b_0 * 256 + b_1)
                v_k = T.axis.spatial(128, k)
                T.where(b_0 * 256 + b_1 < batch)
                T.reads(z[v_b, v_k, 0:8])
                T.writes(hash_v1[v_b, v_k])
                hash_v1[v_b, v_k] = (T.fabs(z[v_b, v_k, 0]) + T.fabs(z[v_b, v_k, 1]) + T.fabs(z[v_b, v_k, 2]) + T.fabs(z[v_b, v_k, 3]) + T.fabs(z[v_b, v_k, 4]) + T.fabs(z[v_b, v_k, 5]) + T.fabs(z[v_b, v_k, 6]) + T.fabs(z[v_b, v_k, 7])) / ((T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 0]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 1]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 2]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 3]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 4]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 5]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 6]))) * (T.float32(1.0) + T.exp(T.float32(-2.0) * T.fabs(z[v_b, v_k, 7]))))