// oneDNN's C API: featmap uses its matrix product, dnnl_sgemm, for the convolution core.
#include <dnnl.h>
// The Debian build runs oneDNN on OpenMP (libgomp). featmap's own workers each call dnnl_sgemm on
// their share of the work, so each sets its OpenMP team to one thread.
void omp_set_num_threads(int);
