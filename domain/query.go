package domain

// queryEvents lists the events of this aggregate (stub until the aggregate lands).
var queryEvents = []eventDef{}
