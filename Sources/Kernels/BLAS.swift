import COpenBLAS

/// The one place the package calls OpenBLAS: single-precision matrix products on row-major data.
///
/// The engine parallelizes across rows itself (the thread pool), so OpenBLAS is asked to stay on the
/// calling thread; two layers of threads would fight over the same cores.
public enum BLAS {
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// C[m×n] = alpha · A[m×k] · B[n×k]ᵀ + beta · C (row-major, leading dimensions given): the shape of
    /// "activations times a weight matrix stored [out, in]".
    @inline(__always)
    public static func multiplyTransposed(m: Int, n: Int, k: Int, alpha: Float = 1,
                                          a: UnsafePointer<Float>, lda: Int,
                                          b: UnsafePointer<Float>, ldb: Int,
                                          beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// C[m×n] = alpha · A[m×k] · B[k×n] + beta · C (row-major).
    @inline(__always)
    public static func multiply(m: Int, n: Int, k: Int, alpha: Float = 1,
                                a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}
