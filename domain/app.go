package domain

// appEvents lists the events of this aggregate (stub until the aggregate lands).
var appEvents = []eventDef{}
