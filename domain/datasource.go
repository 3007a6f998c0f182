package domain

// dataSourceEvents lists the events of this aggregate (stub until the aggregate lands).
var dataSourceEvents = []eventDef{}
