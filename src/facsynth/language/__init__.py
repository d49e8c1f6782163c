"""Language side of the waist: AUs → sentences, sentences → AUs, text → emotion."""
