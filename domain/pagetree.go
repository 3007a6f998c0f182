package domain

// pageTreeEvents lists the events of this aggregate (stub until the aggregate lands).
var pageTreeEvents = []eventDef{}
