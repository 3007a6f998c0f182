package domain

// Catalog is the set of component manifests (stub until the manifests land).
type Catalog struct{}
