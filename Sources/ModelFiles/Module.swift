// ModelFiles: see DESIGN.md
