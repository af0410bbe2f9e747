// Package docs holds Huifang's documentation: domain.md (the business rules as the code
// implements them) and architecture.md (the packages and how data flows through them).
// It has no code; its test checks that every Markdown link in the repository resolves
// to a file (and heading) inside the repository.
package docs
