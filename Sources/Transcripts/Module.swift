// Transcripts: see DESIGN.md
