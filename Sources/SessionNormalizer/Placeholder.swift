// Session normaliser
