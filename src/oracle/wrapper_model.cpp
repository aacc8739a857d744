#include "oracle/wrapper_model.hpp"

namespace ringside::model {

void WrapperModel::readiness(uint32_t desc, ReadySet& r) const {
  r.add(ev::In, ready, RuleId::WrapperReadyIffR, Cond::WrapperReady, desc);
  r.add(ev::Out, Level::Yes, RuleId::PollOut);
  r.add(ev::Pri | ev::Err | ev::Hup | ev::RdHup, Level::No, RuleId::PollUnexpected);
}

std::string WrapperModel::describe() const {
  std::string s = "wrapper D=" + std::to_string(depth) + " buf=" + std::to_string(buf) + ": delivered " +
                  std::to_string(next_offset) + " of >= " + std::to_string(size_at_open) + " bytes in " +
                  std::to_string(data_items) + " buffers" + (ended ? ", ended" : "") + "; R " +
                  (ready == Level::Yes ? "> 0" : ready == Level::Soon ? "= 0, a read on its way" : "= 0 for good") +
                  "; resets " + std::to_string(resets) + "; last counters R=" + std::to_string(last.ready) +
                  " held=" + std::to_string(last.held) + " inflight=" + std::to_string(last.in_flight) +
                  " signals=" + std::to_string(last.signals) + " transitions=" + std::to_string(last.transitions);
  return s;
}

}  // namespace ringside::model
