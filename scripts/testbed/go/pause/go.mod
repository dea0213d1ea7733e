// The node's pause image: each pod sandbox's first process.
module inquiry-platform/testbed/pause

go 1.26.0
