"""Audio layer: voices, synthesis, the synthesis engine, sentence cache, assembly, loudness, MP3, playback."""
