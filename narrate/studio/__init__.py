"""`narrate studio`: a local web page to read the script, hear any part, fix pronunciations and render."""
