"""Audio layer: voices, synthesis, sentence cache, workers, assembly, loudness, MP3 encoding, playback."""
