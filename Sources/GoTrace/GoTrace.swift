// The Go execution trace reader. See Sources/GoTrace/README in the layout notes.
