package domain

// scriptEvents lists the events of this aggregate (stub until the aggregate lands).
var scriptEvents = []eventDef{}
