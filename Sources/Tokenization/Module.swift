// Tokenization: see DESIGN.md
