"""Text layer: article bytes to the Script (ingest, clean, structure, sentences, speech, lexicon, script)."""
