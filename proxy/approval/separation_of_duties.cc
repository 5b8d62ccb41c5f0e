#include "proxy/approval/separation_of_duties.h"

#include "proxy/approval/identity.h"

namespace mailtee::approval {

DutyCheck CheckSeparationOfDuties(const HeldMessage& held, const Decision& d) {
  DutyCheck c;
  if (d.action != "approve" && d.action != "reject") return c;
  const std::string owner = held.Owner();
  const std::string person = PersonOf(d.approver);
  if (SamePerson(person, owner)) {
    c.code = "own-message";
    c.en = person + " sent " + held.id + " and cannot decide on their own message";
    c.ja = person + " さんは " + held.id + " の差出人のため、自分のメールを承認・差し戻しできません";
    return c;
  }
  if (!d.on_behalf_of.empty() && SamePerson(d.on_behalf_of, owner)) {
    c.code = "senders-slot";
    c.en = d.on_behalf_of + " sent " + held.id + ": nobody can decide for the sender; the other approvers decide";
    c.ja = d.on_behalf_of + " さんは " + held.id + " の差出人のため、その代理では判断できません (ほかの承認者が判断します)";
    return c;
  }
  if (d.action != "approve") return c;  // a rejection only stops mail: whoever may decide may reject
  for (const Decision& earlier : held.decisions) {
    if (earlier.action == "approve" && SamePerson(earlier.approver, person)) {
      c.code = "already-decided";
      c.en = person + " has already approved " + held.id + " (for " +
             (earlier.on_behalf_of.empty() ? earlier.approver : earlier.on_behalf_of) +
             "); each approval must come from a different person";
      c.ja = person + " さんは " + held.id + " をすでに承認済みです (" +
             (earlier.on_behalf_of.empty() ? earlier.approver : earlier.on_behalf_of) +
             " として)。承認は別々の人が行う必要があります";
      return c;
    }
  }
  return c;
}

}  // namespace mailtee::approval
