"""The face model: landmarks, mesh topology, the muscle-based AU basis, and analysis of faces into AUs."""
