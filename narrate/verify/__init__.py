"""The self-check: hear an episode, compare it with its script, and list the words worth a listen."""
