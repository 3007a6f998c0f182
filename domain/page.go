package domain

// pageEvents lists the events of this aggregate (stub until the aggregate lands).
var pageEvents = []eventDef{}
