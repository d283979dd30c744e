// The only place the package includes OpenBLAS's header; Swift code reaches it through `Kernels.BLAS`.
#include <cblas.h>
