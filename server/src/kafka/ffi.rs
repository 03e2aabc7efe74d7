//! Safe wrappers over the librdkafka admin calls rust-rdkafka does not expose:
//! ListOffsets, ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets and the
//! cached controller id. This module is the only place in Kafscope with `unsafe`.
//!
//! Every call is blocking (run it on `spawn_blocking`) and bounded by a deadline. Each native
//! object is held by an RAII guard, and every result is copied into owned Rust values before
//! the event that owns it is destroyed.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaRespErr;

/// Give the C heap's free memory back to the system. librdkafka allocates with glibc's malloc
/// on its own threads (a copy of every partition's metadata each poll, among others), and
/// glibc keeps what they free in per-thread arenas that only `malloc_trim` returns.
pub fn release_c_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it locks and walks glibc's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Make the allocators give freed memory back to the system: mimalloc (the Rust heap) purges
/// freed pages at once instead of a second later — a delay that only runs out when the heap
/// is next used, so between two polls the last cycle's buffers stayed resident (the scale
/// benchmark's console held 117–120 MB; 82 MB without the delay) — and glibc (librdkafka's
/// and SQLite's C heap) keeps two arenas instead of one per thread. Call first in `main`,
/// before other threads allocate.
pub fn tune_allocators() {
    #[cfg(feature = "mimalloc")]
    {
        // `mi_option_purge_delay` (mimalloc.h: 15 in v3, libmimalloc-sys' default, and in
        // v2), default 1 000 ms in v3; the bindings do not name it.
        const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
        // SAFETY: mi_option_set takes an option number and a value, no pointers; called
        // before any other thread of ours runs.
        unsafe {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        }
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers; it only sets glibc's own parameters.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// A failed admin call: which Kafka API, the librdkafka error code and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{api}: {message}")]
pub struct CallError {
    pub api: &'static str,
    pub code: RDKafkaRespErr,
    pub message: String,
}

impl CallError {
    fn new(api: &'static str, code: RDKafkaRespErr, message: impl Into<String>) -> Self {
        CallError {
            api,
            code,
            message: message.into(),
        }
    }

    /// The broker does not implement the API or version the call needs.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self.code,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE
                | RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION
                | RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_REQUEST
        )
    }
}

/// A raw client handle. Valid while the rust-rdkafka client it came from is alive; the
/// callers in `kafka/mod.rs` (`ClusterClient`) hold a clone of that client for the duration of each call.
#[derive(Clone, Copy)]
pub struct RawClient(*mut rd::rd_kafka_t);

impl RawClient {
    /// Wrap the native pointer of a live rust-rdkafka client.
    pub fn new(ptr: *mut rd::rd_kafka_t) -> Self {
        RawClient(ptr)
    }
}

fn cstr_to_string(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: librdkafka returns NUL-terminated strings that live as long as their owner,
    // which the caller keeps alive; the bytes are copied here.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn opt_string(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(cstr_to_string(p))
    }
}

fn err_to_string(code: RDKafkaRespErr) -> String {
    // SAFETY: rd_kafka_err2str returns a static string for any code.
    cstr_to_string(unsafe { rd::rd_kafka_err2str(code) })
}

/// Copy an `rd_kafka_error_t` (borrowed, not destroyed here) into a code and message.
fn error_parts(e: *const rd::rd_kafka_error_t) -> Option<(RDKafkaRespErr, String)> {
    if e.is_null() {
        return None;
    }
    // SAFETY: `e` is non-null and owned by the result being read.
    let code = unsafe { rd::rd_kafka_error_code(e) };
    let msg = cstr_to_string(unsafe { rd::rd_kafka_error_string(e) });
    Some((code, msg))
}

struct Queue(*mut rd::rd_kafka_queue_t);
impl Queue {
    fn new(rk: RawClient) -> Queue {
        // SAFETY: rk is a live client (see RawClient).
        Queue(unsafe { rd::rd_kafka_queue_new(rk.0) })
    }
}
impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_queue_new, destroyed once.
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

struct Options(*mut rd::rd_kafka_AdminOptions_t);
impl Options {
    fn new(
        rk: RawClient,
        op: rd::rd_kafka_admin_op_t,
        api: &'static str,
        timeout: Duration,
    ) -> Result<Options, CallError> {
        // SAFETY: rk is live; the options are destroyed by Drop.
        let o = Options(unsafe { rd::rd_kafka_AdminOptions_new(rk.0, op) });
        let mut errbuf = [0 as c_char; 256];
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: errbuf outlives the call and its size is passed.
        let code = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                o.0,
                ms,
                errbuf.as_mut_ptr(),
                errbuf.len(),
            )
        };
        if code != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(CallError::new(api, code, cstr_to_string(errbuf.as_ptr())));
        }
        Ok(o)
    }
}
impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_AdminOptions_new, destroyed once.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

struct Event(*mut rd::rd_kafka_event_t);
impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: returned by rd_kafka_queue_poll, destroyed once.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

struct PartitionList(*mut rd::rd_kafka_topic_partition_list_t);
impl PartitionList {
    fn new(capacity: usize) -> PartitionList {
        let n = capacity.min(i32::MAX as usize) as i32;
        // SAFETY: allocation only; destroyed by Drop.
        PartitionList(unsafe { rd::rd_kafka_topic_partition_list_new(n) })
    }
    fn add(&mut self, topic: &CStr, partition: i32, offset: i64) {
        // SAFETY: self.0 is a live list; librdkafka copies the topic name.
        let tp =
            unsafe { rd::rd_kafka_topic_partition_list_add(self.0, topic.as_ptr(), partition) };
        // SAFETY: `tp` points into the list just grown.
        unsafe { (*tp).offset = offset };
    }
}
impl Drop for PartitionList {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_topic_partition_list_new, destroyed once.
        unsafe { rd::rd_kafka_topic_partition_list_destroy(self.0) }
    }
}

/// One entry of a partition list, copied out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionEntry {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub error: Option<String>,
}

fn read_partition_list(list: *const rd::rd_kafka_topic_partition_list_t) -> Vec<PartitionEntry> {
    if list.is_null() {
        return Vec::new();
    }
    // SAFETY: `list` is non-null and owned by a result the caller keeps alive; `elems` holds
    // `cnt` initialised entries.
    let l = unsafe { &*list };
    let n = usize::try_from(l.cnt).unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: i < cnt.
        let e = unsafe { &*l.elems.add(i) };
        out.push(PartitionEntry {
            topic: cstr_to_string(e.topic),
            partition: e.partition,
            offset: e.offset,
            error: (e.err != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR)
                .then(|| err_to_string(e.err)),
        });
    }
    out
}

/// Wait for the next event on `queue` until `deadline`, checking its type and error.
fn next_event(
    queue: &Queue,
    deadline: Instant,
    expected: i32,
    api: &'static str,
) -> Result<Event, CallError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(CallError::new(
                api,
                RDKafkaRespErr::RD_KAFKA_RESP_ERR__TIMED_OUT,
                "timed out waiting for the broker",
            ));
        }
        let ms = left.as_millis().clamp(1, 1_000) as i32;
        // SAFETY: the queue is live; a non-null event is owned by the returned guard.
        let ev = unsafe { rd::rd_kafka_queue_poll(queue.0, ms) };
        if ev.is_null() {
            continue;
        }
        let ev = Event(ev);
        // SAFETY: ev is a live event.
        let ty = unsafe { rd::rd_kafka_event_type(ev.0) };
        let code = unsafe { rd::rd_kafka_event_error(ev.0) };
        if code != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            let msg = cstr_to_string(unsafe { rd::rd_kafka_event_error_string(ev.0) });
            return Err(CallError::new(api, code, msg));
        }
        if ty != expected {
            // An unrelated event (e.g. a log or error event routed here): skip it.
            continue;
        }
        return Ok(ev);
    }
}

/// Send one admin request on a fresh queue and wait (until `timeout` plus a margin) for its
/// result event. `issue` makes the librdkafka call with the options and queue it is given.
fn request(
    rk: RawClient,
    op: rd::rd_kafka_admin_op_t,
    api: &'static str,
    timeout: Duration,
    expected: i32,
    isolation: Option<rd::rd_kafka_IsolationLevel_t>,
    issue: impl FnOnce(*const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
) -> Result<Event, CallError> {
    let queue = Queue::new(rk);
    let opts = Options::new(rk, op, api, timeout)?;
    if let Some(level) = isolation {
        // SAFETY: opts is live; a returned error is read and destroyed here.
        let err = unsafe { rd::rd_kafka_AdminOptions_set_isolation_level(opts.0, level) };
        if let Some((code, msg)) = error_parts(err) {
            unsafe { rd::rd_kafka_error_destroy(err) };
            return Err(CallError::new(api, code, msg));
        }
    }
    let deadline = Instant::now() + timeout + Duration::from_millis(500);
    issue(opts.0, queue.0);
    next_event(&queue, deadline, expected, api)
}

/// Which offset ListOffsets should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The last stable offset: the end as a read_committed consumer sees it (before the
    /// first open transaction).
    LastStable,
    /// The first offset whose record timestamp is at or after this (unix ms); `-1` when
    /// there is none.
    Timestamp(i64),
}

/// ListOffsets for many partitions in one call; librdkafka routes the request per leader.
pub fn list_offsets(
    rk: RawClient,
    partitions: &[(String, i32)],
    spec: OffsetSpec,
    timeout: Duration,
) -> Result<Vec<PartitionEntry>, CallError> {
    const API: &str = "ListOffsets";
    if partitions.is_empty() {
        return Ok(Vec::new());
    }
    let offset = match spec {
        OffsetSpec::Earliest => rd::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_EARLIEST as i64,
        OffsetSpec::Latest | OffsetSpec::LastStable => {
            rd::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_LATEST as i64
        }
        OffsetSpec::Timestamp(ms) => ms.max(0),
    };
    let isolation = (spec == OffsetSpec::LastStable)
        .then_some(rd::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED);
    let mut list = PartitionList::new(partitions.len());
    let mut names: Vec<(String, CString)> = Vec::new();
    for (topic, p) in partitions {
        let name = match names.last() {
            Some((t, c)) if t == topic => c.clone(),
            _ => {
                let c = CString::new(topic.as_str()).map_err(|_| {
                    CallError::new(
                        API,
                        RDKafkaRespErr::RD_KAFKA_RESP_ERR__INVALID_ARG,
                        "topic name holds a NUL byte",
                    )
                })?;
                names.push((topic.clone(), c.clone()));
                c
            }
        };
        list.add(&name, *p, offset);
    }
    let ev = request(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS,
        API,
        timeout,
        rd::RD_KAFKA_EVENT_LISTOFFSETS_RESULT,
        isolation,
        // SAFETY: every argument is live for the call; librdkafka copies what it keeps.
        |o, q| unsafe { rd::rd_kafka_ListOffsets(rk.0, list.0, o, q) },
    )?;
    // SAFETY: the event has the ListOffsets result type (checked above).
    let res = unsafe { rd::rd_kafka_event_ListOffsets_result(ev.0) };
    let mut cnt = 0usize;
    let infos = unsafe { rd::rd_kafka_ListOffsets_result_infos(res, &mut cnt) };
    let mut out = Vec::with_capacity(cnt);
    for i in 0..cnt {
        // SAFETY: i < cnt; entries live as long as `ev`.
        let info = unsafe { *infos.add(i) };
        let tp = unsafe { rd::rd_kafka_ListOffsetsResultInfo_topic_partition(info) };
        if tp.is_null() {
            continue;
        }
        let e = unsafe { &*tp };
        out.push(PartitionEntry {
            topic: cstr_to_string(e.topic),
            partition: e.partition,
            offset: e.offset,
            error: (e.err != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR)
                .then(|| err_to_string(e.err)),
        });
    }
    Ok(out)
}

/// A group as ListConsumerGroups names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    pub is_simple: bool,
    pub state: String,
    /// `classic`, `consumer` (KIP-848), `share`, …; `None` when the broker does not say
    /// (ListGroups before v5).
    pub group_type: Option<String>,
}

/// librdkafka's group type as Kafka names it; `None` when unknown.
fn group_type_name(t: rd::rd_kafka_consumer_group_type_t) -> Option<String> {
    use rd::rd_kafka_consumer_group_type_t as T;
    match t {
        T::RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => Some("consumer".into()),
        T::RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => Some("classic".into()),
        _ => None,
    }
}

/// ListConsumerGroups across all brokers. Per-broker errors come back beside the groups
/// that were listed, so one failing broker does not hide the others' groups.
pub fn list_groups(
    rk: RawClient,
    timeout: Duration,
) -> Result<(Vec<GroupListing>, Vec<String>), CallError> {
    const API: &str = "ListConsumerGroups";
    let ev = request(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
        API,
        timeout,
        rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
        None,
        // SAFETY: every argument is live for the call; librdkafka copies what it keeps.
        |o, q| unsafe { rd::rd_kafka_ListConsumerGroups(rk.0, o, q) },
    )?;
    // SAFETY: event type checked; everything read is copied before `ev` drops.
    let res = unsafe { rd::rd_kafka_event_ListConsumerGroups_result(ev.0) };
    let mut cnt = 0usize;
    let valid = unsafe { rd::rd_kafka_ListConsumerGroups_result_valid(res, &mut cnt) };
    let mut groups = Vec::with_capacity(cnt);
    for i in 0..cnt {
        let g = unsafe { *valid.add(i) };
        let state = unsafe { rd::rd_kafka_ConsumerGroupListing_state(g) };
        groups.push(GroupListing {
            group_id: cstr_to_string(unsafe { rd::rd_kafka_ConsumerGroupListing_group_id(g) }),
            is_simple: unsafe { rd::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) }
                != 0,
            state: cstr_to_string(unsafe { rd::rd_kafka_consumer_group_state_name(state) }),
            group_type: group_type_name(unsafe { rd::rd_kafka_ConsumerGroupListing_type(g) }),
        });
    }
    let mut ecnt = 0usize;
    let errs = unsafe { rd::rd_kafka_ListConsumerGroups_result_errors(res, &mut ecnt) };
    let mut errors = Vec::with_capacity(ecnt);
    for i in 0..ecnt {
        if let Some((_, msg)) = error_parts(unsafe { *errs.add(i) }) {
            errors.push(msg);
        }
    }
    Ok((groups, errors))
}

/// A member of a described group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub group_instance_id: Option<String>,
    /// The partitions the member owns now.
    pub assignment: Vec<(String, i32)>,
    /// Consumer-protocol groups (KIP-848): what the coordinator wants the member to own.
    pub target_assignment: Option<Vec<(String, i32)>>,
    pub rack: Option<String>,
    /// Consumer-protocol groups: the epoch the member has reconciled to.
    pub member_epoch: Option<i32>,
    /// Consumer-protocol groups: the topics (or the regular expression) it subscribes to.
    pub subscribed_topics: Option<Vec<String>>,
    pub subscribed_topic_regex: Option<String>,
    /// Consumer-protocol groups (ConsumerGroupDescribe v1+): whether the member still speaks
    /// the classic protocol inside the group (an upgrade in progress).
    pub classic_member: Option<bool>,
}

/// A described group, or the reason the broker would not describe it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupDescription {
    pub group_id: String,
    pub state: String,
    pub assignor: String,
    pub members: Vec<MemberDescription>,
    pub error: Option<String>,
    /// `classic`, `consumer` or `share`: which API described it.
    pub group_type: Option<String>,
    /// Consumer-protocol groups: the group epoch and the target assignment's epoch.
    pub group_epoch: Option<i32>,
    pub assignment_epoch: Option<i32>,
}

/// DescribeConsumerGroups for a chunk of groups in one call.
pub fn describe_groups(
    rk: RawClient,
    group_ids: &[String],
    timeout: Duration,
) -> Result<Vec<GroupDescription>, CallError> {
    const API: &str = "DescribeConsumerGroups";
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let owned: Vec<CString> = group_ids
        .iter()
        .map(|g| CString::new(g.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| {
            CallError::new(
                API,
                RDKafkaRespErr::RD_KAFKA_RESP_ERR__INVALID_ARG,
                "group id holds a NUL byte",
            )
        })?;
    let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    let ev = request(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
        API,
        timeout,
        rd::RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
        None,
        // SAFETY: every argument is live for the call; librdkafka copies what it keeps.
        |o, q| unsafe {
            rd::rd_kafka_DescribeConsumerGroups(rk.0, ptrs.as_mut_ptr(), ptrs.len(), o, q)
        },
    )?;
    // SAFETY: event type checked; everything is copied before `ev` drops.
    let res = unsafe { rd::rd_kafka_event_DescribeConsumerGroups_result(ev.0) };
    let mut cnt = 0usize;
    let descs = unsafe { rd::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut cnt) };
    let mut out = Vec::with_capacity(cnt);
    for i in 0..cnt {
        let d = unsafe { *descs.add(i) };
        let group_id = cstr_to_string(unsafe { rd::rd_kafka_ConsumerGroupDescription_group_id(d) });
        let error =
            error_parts(unsafe { rd::rd_kafka_ConsumerGroupDescription_error(d) }).map(|(_, m)| m);
        let state_code = unsafe { rd::rd_kafka_ConsumerGroupDescription_state(d) };
        let state = cstr_to_string(unsafe { rd::rd_kafka_consumer_group_state_name(state_code) });
        let assignor =
            cstr_to_string(unsafe { rd::rd_kafka_ConsumerGroupDescription_partition_assignor(d) });
        let n = unsafe { rd::rd_kafka_ConsumerGroupDescription_member_count(d) };
        let mut members = Vec::with_capacity(n);
        for m in 0..n {
            let md = unsafe { rd::rd_kafka_ConsumerGroupDescription_member(d, m) };
            if md.is_null() {
                continue;
            }
            let read_assignment = |ptr: *const rd::rd_kafka_MemberAssignment_t| {
                if ptr.is_null() {
                    return None;
                }
                Some(
                    read_partition_list(unsafe { rd::rd_kafka_MemberAssignment_partitions(ptr) })
                        .into_iter()
                        .map(|e| (e.topic, e.partition))
                        .collect::<Vec<_>>(),
                )
            };
            let assignment =
                read_assignment(unsafe { rd::rd_kafka_MemberDescription_assignment(md) })
                    .unwrap_or_default();
            let target_assignment =
                read_assignment(unsafe { rd::rd_kafka_MemberDescription_target_assignment(md) });
            members.push(MemberDescription {
                member_id: cstr_to_string(unsafe {
                    rd::rd_kafka_MemberDescription_consumer_id(md)
                }),
                client_id: cstr_to_string(unsafe { rd::rd_kafka_MemberDescription_client_id(md) }),
                host: cstr_to_string(unsafe { rd::rd_kafka_MemberDescription_host(md) }),
                group_instance_id: opt_string(unsafe {
                    rd::rd_kafka_MemberDescription_group_instance_id(md)
                }),
                assignment,
                target_assignment,
                ..Default::default()
            });
        }
        out.push(GroupDescription {
            group_id,
            state,
            assignor,
            members,
            error,
            group_type: group_type_name(unsafe { rd::rd_kafka_ConsumerGroupDescription_type(d) }),
            group_epoch: None,
            assignment_epoch: None,
        });
    }
    Ok(out)
}

/// Committed offsets of one group: `(topic, partition, committed or None)`.
pub type GroupOffsets = Vec<(String, i32, Option<i64>)>;

/// ListConsumerGroupOffsets for many groups. librdkafka takes one group per request, so the
/// requests are issued together (up to `in_flight` at once) on one queue and their answers
/// collected as they come. Returns one entry per asked group, in any order.
pub fn group_offsets(
    rk: RawClient,
    group_ids: &[String],
    in_flight: usize,
    timeout: Duration,
) -> Vec<(String, Result<GroupOffsets, CallError>)> {
    const API: &str = "ListConsumerGroupOffsets";
    let mut out = Vec::with_capacity(group_ids.len());
    let queue = Queue::new(rk);
    for chunk in group_ids.chunks(in_flight.max(1)) {
        let opts = match Options::new(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            API,
            timeout,
        ) {
            Ok(o) => o,
            Err(e) => {
                out.extend(chunk.iter().map(|g| (g.clone(), Err(e.clone()))));
                continue;
            }
        };
        let mut pending: Vec<&String> = Vec::with_capacity(chunk.len());
        for g in chunk {
            let Ok(name) = CString::new(g.as_str()) else {
                out.push((
                    g.clone(),
                    Err(CallError::new(
                        API,
                        RDKafkaRespErr::RD_KAFKA_RESP_ERR__INVALID_ARG,
                        "group id holds a NUL byte",
                    )),
                ));
                continue;
            };
            // SAFETY: `name` outlives the call (librdkafka copies it); a null partition list
            // asks for every committed partition. The request object is destroyed right
            // after the call, which copies it.
            unsafe {
                let mut req = rd::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), ptr::null());
                rd::rd_kafka_ListConsumerGroupOffsets(rk.0, &mut req, 1, opts.0, queue.0);
                rd::rd_kafka_ListConsumerGroupOffsets_destroy(req);
            }
            pending.push(g);
        }
        let deadline = Instant::now() + timeout + Duration::from_millis(500);
        let mut answered: Vec<String> = Vec::with_capacity(pending.len());
        let mut events = 0usize;
        let mut last_error: Option<CallError> = None;
        while events < pending.len() {
            let ev = match next_event(
                &queue,
                deadline,
                rd::RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                API,
            ) {
                Ok(ev) => ev,
                Err(e) if e.code == RDKafkaRespErr::RD_KAFKA_RESP_ERR__TIMED_OUT => {
                    last_error = Some(e);
                    break;
                }
                Err(e) => {
                    // A whole-request error does not say which group it was for: it is
                    // given to the groups left unanswered at the end.
                    events += 1;
                    last_error = Some(e);
                    continue;
                }
            };
            events += 1;
            // SAFETY: event type checked; results copied before `ev` drops.
            let res = unsafe { rd::rd_kafka_event_ListConsumerGroupOffsets_result(ev.0) };
            let mut cnt = 0usize;
            let groups =
                unsafe { rd::rd_kafka_ListConsumerGroupOffsets_result_groups(res, &mut cnt) };
            for i in 0..cnt {
                let gr = unsafe { *groups.add(i) };
                let name = cstr_to_string(unsafe { rd::rd_kafka_group_result_name(gr) });
                let result =
                    match error_parts(unsafe { rd::rd_kafka_group_result_error(gr) }) {
                        Some((code, msg)) => Err(CallError::new(API, code, msg)),
                        None => Ok(read_partition_list(unsafe {
                            rd::rd_kafka_group_result_partitions(gr)
                        })
                        .into_iter()
                        .filter(|e| e.error.is_none())
                        .map(|e| {
                            let committed = (e.offset >= 0).then_some(e.offset);
                            (e.topic, e.partition, committed)
                        })
                        .collect()),
                    };
                answered.push(name.clone());
                out.push((name, result));
            }
        }
        for g in pending {
            if !answered.iter().any(|a| a == g) {
                let e = last_error.clone().unwrap_or_else(|| {
                    CallError::new(
                        API,
                        RDKafkaRespErr::RD_KAFKA_RESP_ERR__TIMED_OUT,
                        "no answer from the broker",
                    )
                });
                out.push((g.clone(), Err(e)));
            }
        }
    }
    out
}

/// The controller id from librdkafka's cached metadata, if known within `timeout`.
pub fn controller_id(rk: RawClient, timeout: Duration) -> Option<i32> {
    let ms = timeout.as_millis().clamp(0, i32::MAX as u128) as i32;
    // SAFETY: rk is live.
    let id = unsafe { rd::rd_kafka_controllerid(rk.0, ms) };
    (id >= 0).then_some(id)
}

/// A broker as DescribeCluster reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
}

/// DescribeCluster result: brokers with racks, the controller and the cluster id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    pub nodes: Vec<Node>,
    pub controller: Option<i32>,
    pub cluster_id: Option<String>,
}

fn read_node(n: *const rd::rd_kafka_Node_t) -> Node {
    // SAFETY: `n` is non-null and owned by a live result.
    unsafe {
        Node {
            id: rd::rd_kafka_Node_id(n),
            host: cstr_to_string(rd::rd_kafka_Node_host(n)),
            port: rd::rd_kafka_Node_port(n),
            rack: opt_string(rd::rd_kafka_Node_rack(n)),
        }
    }
}

/// DescribeCluster (KIP-919). Brokers that do not implement it answer with an
/// unsupported-version error; callers fall back to metadata.
pub fn describe_cluster(rk: RawClient, timeout: Duration) -> Result<ClusterDescription, CallError> {
    const API: &str = "DescribeCluster";
    let ev = request(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
        API,
        timeout,
        rd::RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT,
        None,
        // SAFETY: every argument is live for the call; librdkafka copies what it keeps.
        |o, q| unsafe { rd::rd_kafka_DescribeCluster(rk.0, o, q) },
    )?;
    // SAFETY: event type checked; everything is copied before `ev` drops.
    let res = unsafe { rd::rd_kafka_event_DescribeCluster_result(ev.0) };
    let mut cnt = 0usize;
    let nodes_ptr = unsafe { rd::rd_kafka_DescribeCluster_result_nodes(res, &mut cnt) };
    let nodes = (0..cnt)
        .map(|i| read_node(unsafe { *nodes_ptr.add(i) }))
        .collect();
    let ctrl = unsafe { rd::rd_kafka_DescribeCluster_result_controller(res) };
    let controller = (!ctrl.is_null())
        .then(|| read_node(ctrl).id)
        .filter(|id| *id >= 0);
    let cluster_id = opt_string(unsafe { rd::rd_kafka_DescribeCluster_result_cluster_id(res) });
    Ok(ClusterDescription {
        nodes,
        controller,
        cluster_id,
    })
}

/// What a client's main queue delivered.
#[derive(Debug, Default)]
pub struct MainQueueEvents {
    /// The newest statistics JSON, if any arrived.
    pub stats_json: Option<String>,
    /// `(level, facility, message)` log lines.
    pub logs: Vec<(i32, String, String)>,
    /// Error events.
    pub errors: Vec<String>,
}

/// Drain the client's main queue without waiting: statistics, logs and errors. The admin
/// client never polls it itself (rust-rdkafka only polls its admin-result queue), so without
/// this those events would pile up for the life of the process.
pub fn drain_main_queue(rk: RawClient, max: usize) -> MainQueueEvents {
    let mut out = MainQueueEvents::default();
    // SAFETY: rk is live; the queue reference is released by the guard.
    let q = Queue(unsafe { rd::rd_kafka_queue_get_main(rk.0) });
    for _ in 0..max {
        // SAFETY: zero timeout; a non-null event is owned by the guard.
        let ev = unsafe { rd::rd_kafka_queue_poll(q.0, 0) };
        if ev.is_null() {
            break;
        }
        let ev = Event(ev);
        // SAFETY: ev is live; strings are copied before it drops.
        match unsafe { rd::rd_kafka_event_type(ev.0) } {
            rd::RD_KAFKA_EVENT_STATS => {
                out.stats_json = Some(cstr_to_string(unsafe { rd::rd_kafka_event_stats(ev.0) }));
            }
            rd::RD_KAFKA_EVENT_LOG => {
                let mut fac: *const c_char = ptr::null();
                let mut msg: *const c_char = ptr::null();
                let mut level: std::os::raw::c_int = 0;
                unsafe { rd::rd_kafka_event_log(ev.0, &mut fac, &mut msg, &mut level) };
                out.logs
                    .push((level, cstr_to_string(fac), cstr_to_string(msg)));
            }
            rd::RD_KAFKA_EVENT_ERROR => {
                out.errors.push(cstr_to_string(unsafe {
                    rd::rd_kafka_event_error_string(ev.0)
                }));
            }
            _ => {}
        }
    }
    out
}

const INTERCEPTOR: &CStr = c"kafscope-request-counts";

/// A librdkafka client whose every request written to a broker is counted, by API key, into
/// a [`RequestCounts`](super::requests::RequestCounts): an `on_request_sent` interceptor added
/// to its configuration before the client is created (librdkafka's statistics hide some
/// request types and drop the counts of broker handles that go away). The interceptor's
/// reference to the counts is released only after the client is destroyed (broker threads
/// joined), whatever else holds the counts.
pub struct CountedClient {
    client: std::mem::ManuallyDrop<rdkafka::client::Client<rdkafka::client::DefaultClientContext>>,
    tally: *const super::requests::Tally,
}

// SAFETY: the client is Send + Sync (librdkafka is thread-safe); the tally pointer is an Arc
// reference to atomics, only read through `&`.
unsafe impl Send for CountedClient {}
unsafe impl Sync for CountedClient {}

impl CountedClient {
    /// Create a client of `kind` from `config`, counting its requests into `counts`.
    pub fn new(
        config: &rdkafka::ClientConfig,
        kind: rdkafka::types::RDKafkaType,
        counts: &super::requests::RequestCounts,
    ) -> rdkafka::error::KafkaResult<CountedClient> {
        let native = config.create_native_config()?;
        let tally = std::sync::Arc::into_raw(counts.0.clone());
        // SAFETY: `native` is a live configuration not yet given to rd_kafka_new; the name is
        // static; the opaque pointer stays valid until `Drop` (or the failure below).
        let code = unsafe {
            rd::rd_kafka_conf_interceptor_add_on_new(
                native.ptr(),
                INTERCEPTOR.as_ptr(),
                Some(on_new),
                tally as *mut std::ffi::c_void,
            )
        };
        if code != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: not handed to librdkafka: the reference is released here, once.
            drop(unsafe { std::sync::Arc::from_raw(tally) });
            return Err(rdkafka::error::KafkaError::ClientCreation(format!(
                "request counting: {}",
                err_to_string(code)
            )));
        }
        match rdkafka::client::Client::new(
            config,
            native,
            kind,
            rdkafka::client::DefaultClientContext,
        ) {
            Ok(client) => Ok(CountedClient {
                client: std::mem::ManuallyDrop::new(client),
                tally,
            }),
            // rd_kafka_new failed: no client exists, so no librdkafka thread can call the
            // interceptor.
            Err(e @ rdkafka::error::KafkaError::ClientCreation(_)) => {
                // SAFETY: the reference taken above, released once, with no client using it.
                drop(unsafe { std::sync::Arc::from_raw(tally) });
                Err(e)
            }
            // A later failure may leave a client running (rust-rdkafka does not destroy it):
            // its interceptor keeps the reference for good.
            Err(e) => Err(e),
        }
    }

    pub fn client(&self) -> &rdkafka::client::Client<rdkafka::client::DefaultClientContext> {
        &self.client
    }
}

impl Drop for CountedClient {
    fn drop(&mut self) {
        // SAFETY: the client is dropped once, here: rd_kafka_destroy returns after every
        // librdkafka thread has stopped, so the interceptor is never called again and the
        // tally reference taken in `new` can be released.
        unsafe {
            std::mem::ManuallyDrop::drop(&mut self.client);
            drop(std::sync::Arc::from_raw(self.tally));
        }
    }
}

/// Called by rd_kafka_new: the request interceptor, with the same opaque pointer.
unsafe extern "C" fn on_new(
    rk: *mut rd::rd_kafka_t,
    _conf: *const rd::rd_kafka_conf_t,
    opaque: *mut std::ffi::c_void,
    _errstr: *mut c_char,
    _errstr_size: usize,
) -> RDKafkaRespErr {
    // SAFETY: rk is the client being created; the name is static.
    unsafe {
        rd::rd_kafka_interceptor_add_on_request_sent(
            rk,
            INTERCEPTOR.as_ptr(),
            Some(on_request_sent),
            opaque,
        )
    }
}

/// Called by a broker thread once a request is written to the socket.
unsafe extern "C" fn on_request_sent(
    _rk: *mut rd::rd_kafka_t,
    _sockfd: std::os::raw::c_int,
    _brokername: *const c_char,
    _brokerid: i32,
    api_key: i16,
    _api_version: i16,
    _corr_id: i32,
    _size: usize,
    opaque: *mut std::ffi::c_void,
) -> RDKafkaRespErr {
    // SAFETY: opaque is the tally of the CountedClient that owns this client, released only
    // after the client is destroyed.
    let tally = unsafe { &*(opaque as *const super::requests::Tally) };
    tally.add(api_key, 1);
    RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR
}

/// One config entry as DescribeConfigs returned it.
#[derive(Debug, Clone)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: i32,
    pub is_default: bool,
    pub is_sensitive: bool,
    pub read_only: bool,
}

struct Resources(Vec<*mut rd::rd_kafka_ConfigResource_t>);
impl Drop for Resources {
    fn drop(&mut self) {
        // SAFETY: each was made by rd_kafka_ConfigResource_new and is destroyed once.
        unsafe { rd::rd_kafka_ConfigResource_destroy_array(self.0.as_mut_ptr(), self.0.len()) }
    }
}

/// A topic and its config entries, or why they could not be read.
pub type TopicConfigs = (String, Result<Vec<ConfigEntry>, String>);

/// DescribeConfigs of many topics in one call: per topic its entries, or the error.
pub fn describe_topic_configs(
    rk: RawClient,
    topics: &[String],
    timeout: Duration,
) -> Result<Vec<TopicConfigs>, CallError> {
    const API: &str = "DescribeConfigs";
    // A name librdkafka cannot take (empty, or with a NUL) is answered here, not sent.
    let mut out: Vec<TopicConfigs> = Vec::new();
    let mut names: Vec<CString> = Vec::with_capacity(topics.len());
    for t in topics {
        match CString::new(t.as_str()) {
            Ok(n) if !t.is_empty() => names.push(n),
            _ => out.push((t.clone(), Err("not a topic name librdkafka accepts".into()))),
        }
    }
    let mut res = Resources(Vec::with_capacity(names.len()));
    for n in &names {
        // SAFETY: the name is copied by librdkafka; NULL (a refused name) is never kept.
        let r = unsafe {
            rd::rd_kafka_ConfigResource_new(
                rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
                n.as_ptr(),
            )
        };
        if r.is_null() {
            out.push((
                n.to_string_lossy().into_owned(),
                Err("not a topic name librdkafka accepts".into()),
            ));
        } else {
            res.0.push(r);
        }
    }
    if res.0.is_empty() {
        return Ok(out);
    }
    let ev = request(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
        API,
        timeout,
        rd::RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
        None,
        // SAFETY: the resources outlive the call; librdkafka copies them.
        |o, q| unsafe { rd::rd_kafka_DescribeConfigs(rk.0, res.0.as_mut_ptr(), res.0.len(), o, q) },
    )?;
    // SAFETY: event type checked; everything is copied before `ev` drops.
    let result = unsafe { rd::rd_kafka_event_DescribeConfigs_result(ev.0) };
    let mut cnt = 0usize;
    let list = unsafe { rd::rd_kafka_DescribeConfigs_result_resources(result, &mut cnt) };
    for i in 0..cnt {
        let r = unsafe { *list.add(i) };
        if r.is_null() {
            continue;
        }
        let name = cstr_to_string(unsafe { rd::rd_kafka_ConfigResource_name(r) });
        let code = unsafe { rd::rd_kafka_ConfigResource_error(r) };
        if code != RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            let msg = opt_string(unsafe { rd::rd_kafka_ConfigResource_error_string(r) })
                .unwrap_or_else(|| err_to_string(code));
            out.push((name, Err(msg)));
            continue;
        }
        let mut n = 0usize;
        let entries = unsafe { rd::rd_kafka_ConfigResource_configs(r, &mut n) };
        let entries = (0..n)
            .map(|j| unsafe { *entries.add(j) })
            .filter(|e| !e.is_null())
            .map(|e| unsafe {
                ConfigEntry {
                    name: cstr_to_string(rd::rd_kafka_ConfigEntry_name(e)),
                    value: opt_string(rd::rd_kafka_ConfigEntry_value(e)),
                    source: rd::rd_kafka_ConfigEntry_source(e) as i32,
                    is_default: rd::rd_kafka_ConfigEntry_is_default(e) != 0,
                    is_sensitive: rd::rd_kafka_ConfigEntry_is_sensitive(e) != 0,
                    read_only: rd::rd_kafka_ConfigEntry_is_read_only(e) != 0,
                }
            })
            .collect();
        out.push((name, Ok(entries)));
    }
    Ok(out)
}
