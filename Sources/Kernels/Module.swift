// Kernels: see DESIGN.md
