//! Everything that yields `Event`s besides EVTX: exports of Event Viewer, PowerShell, wevtutil,
//! evtx_dump and EvtxECmd, and legacy `.evt` files.
pub mod export;
