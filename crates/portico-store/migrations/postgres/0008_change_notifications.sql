-- Nodes now learn of each other's changes through LISTEN/NOTIFY on the channel portico_changes
-- (see portico_store::cache): the change log of 0004 and its one counter row, which every
-- cache-affecting write locked until commit, are no longer written or read. What they held
-- only told running nodes what to drop from their caches; a node that starts drops nothing
-- it has not cached, so nothing is lost with them.
DROP TABLE changes;
DROP TABLE change_counter;
