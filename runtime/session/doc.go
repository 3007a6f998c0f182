// Package session runs a running app's dispatch pipeline and replays it: a component event runs
// its handler script, every action the handler dispatches goes through the page reducer and then
// the app reducer, and each such step becomes a domain.SessionActionDispatched event. It does no
// I/O: the caller loads scripts (Scripts), appends the events and supplies the time and seed of
// each dispatch, which the events record, so that Replay reproduces every state.
//
// Replay re-applies recorded actions through the reducers only; handlers are not re-run (their
// output is the recorded actions). Reducer timeouts depend on the machine, so a step that timed
// out live may not time out in a replay: that is the one way replay can diverge.
package session
