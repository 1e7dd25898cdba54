# The Redmine side of the page benchmark (tests/benchmarks/bench_pages.py): data of the same
# sizes as roleplan's large data set (tests/benchmarks/pages_data.py), in a database of the
# benchmark's own. Run by bench_pages.py as
#   cd /usr/share/redmine && RAILS_ENV=production DATABASE_URL=... rails runner THIS_FILE
# after `rake db:migrate` and `rake redmine:load_default_data`. It prints one line
# "BENCH-SEED {json}" with what the benchmark drives.
#
# - Project A, "Checkout platform": the 200-item roadmap. Versions Now / Next / Later play the
#   horizons (40 / 60 / 100 issues); eight issues have one edit in their history, as eight
#   roadmap items were re-prioritised this week.
# - Project B, "Checkout rebuild": 300 deliverables over 40 dated versions (the milestones), from
#   90 days ago to 150 days ahead, as roleplan's project runs.
# - Five members; dev0 is Manager of both (as the product manager and the project manager are
#   roleplan's signed-in user): the benchmark signs in as dev0, not as the admin, so Redmine's
#   permission checks run as roleplan's access helpers do.
#
# Settings changed, and why:
# - per_page_options '25,50,100,200': otherwise per_page=200 is silently capped at 100;
# - rest_api_enabled: the write pair is `PUT /issues/N.json` with dev0's API key;
# - notified_events []: no mail on edits (roleplan sends none on an in-place edit);
# - gantt_items_limit 500 and every tracker on the roadmap.
require 'json'

srand(7)
PASSWORD = ENV.fetch('BENCH_REDMINE_PASSWORD', 'bench-pass-1')
Setting.notified_events = []
Setting.rest_api_enabled = '1'
Setting.per_page_options = '25,50,100,200'
Setting.gantt_items_limit = '500'
Setting.login_required = '1'
Tracker.update_all(is_in_roadmap: true)

admin = User.find_by_login('admin')
admin.password = PASSWORD
admin.password_confirmation = PASSWORD
admin.must_change_passwd = false
admin.save!

people = (0...5).map do |n|
  u = User.find_by_login("dev#{n}") ||
      User.new(firstname: "Person#{n}", lastname: 'Bench', mail: "dev#{n}@example.com")
  u.login = "dev#{n}"
  u.password = PASSWORD
  u.password_confirmation = PASSWORD
  u.mail_notification = 'none'
  u.must_change_passwd = false
  u.save!
  u
end
dev_role = Role.find_by(name: 'Developer')
mgr_role = Role.find_by(name: 'Manager')
trackers = Tracker.order(:position).to_a
by_name = IssueStatus.order(:position).to_a.index_by(&:name)
priorities = IssuePriority.active.to_a

def make_project(identifier, name, trackers)
  p = Project.new(name: name, identifier: identifier, is_public: false,
                  description: "#{name}: basket, checkout and payment of the web shop and the apps.")
  p.enabled_module_names = %w(issue_tracking time_tracking news documents files wiki repository boards calendar gantt)
  p.trackers = trackers
  p.save!
  p
end

def add_members(p, people, dev_role, mgr_role)
  people.each_with_index do |u, i|
    m = Member.new(project: p, user: u)
    m.role_ids = [i == 0 ? mgr_role.id : dev_role.id]
    m.save!
  end
end

VERBS = ['Faster', 'Simpler', 'Guest', 'One-click', 'Saved', 'Split', 'Localised', 'Accessible']
NOUNS = ['checkout', 'payment retries', 'address lookup', 'delivery slots', 'gift cards',
         'invoices', 'refunds', 'vouchers', 'wallet payments', 'order tracking', 'fraud checks',
         'tax display', 'basket sharing', 'returns portal', 'loyalty points']
def title_for(n) = "#{VERBS[n % VERBS.size]} #{NOUNS[(n / VERBS.size) % NOUNS.size]} ##{n + 1}"
DESC = "Customers abandon the basket at this step; support hears about it every day.\n\n" \
       "Shoppers on phones, returning customers.\n\n" \
       'We believe that removing this step raises conversion.'

today = Date.today
project_start = today - 90
ActiveRecord::Base.transaction do
  a = make_project('checkout-platform', 'Checkout platform', trackers)
  add_members(a, people, dev_role, mgr_role)
  horizons = { 'Now' => 40, 'Next' => 60, 'Later' => 100 }
  versions = {}
  horizons.each_with_index do |(h, _), i|
    versions[h] = Version.create!(project: a, name: h, effective_date: today + 30 * (i + 1), status: 'open')
  end
  n = 0
  horizons.each do |h, size|
    size.times do
      st = h == 'Now' ? [by_name['In Progress'], by_name['New'], by_name['Resolved']].sample : by_name['New']
      Issue.new(project: a, tracker: trackers[n % 3 == 0 ? 0 : 1], author: people[0],
                subject: title_for(n), description: DESC, status: st,
                priority: priorities.sample, fixed_version: versions[h],
                assigned_to: people.sample, estimated_hours: [4, 8, 16, 28, 48].sample,
                start_date: today - 30 + rand(20), due_date: today + 10 + rand(80),
                done_ratio: [0, 10, 30, 50, 80].sample).save!
      n += 1
    end
  end

  b = make_project('checkout-rebuild', 'Checkout rebuild', trackers)
  add_members(b, people, dev_role, mgr_role)
  milestones = (0...40).map do |k|
    Version.create!(project: b, name: "Milestone #{k + 1}", effective_date: project_start + 6 * (k + 1),
                    status: 'open', description: "Milestone #{k + 1} of the checkout rebuild")
  end
  300.times do |k|
    v = milestones[k * 40 / 300]
    done = v.effective_date < today
    Issue.new(project: b, tracker: trackers[1], author: people[0],
              subject: "Deliverable #{k + 1}: #{title_for(k)}",
              description: "Deliverable #{k + 1} of the checkout rebuild.",
              status: done ? by_name['Closed'] : [by_name['New'], by_name['In Progress']].sample,
              priority: priorities.sample, fixed_version: v, assigned_to: people.sample,
              estimated_hours: [4, 8, 16, 28].sample,
              start_date: [v.effective_date - 20, project_start].max, due_date: v.effective_date,
              done_ratio: done ? 100 : [0, 20, 50].sample).save!
  end
end

a = Project.find_by_identifier('checkout-platform')
b = Project.find_by_identifier('checkout-rebuild')
a_ids = a.issues.order(:id).pluck(:id)
# One edit in the history of eight issues, as roleplan's eight re-prioritised items.
Issue.where(id: a_ids.values_at(*(5...200).step(25).to_a)).order(:id).each do |i|
  i.init_journal(people[0], nil)
  i.estimated_hours = i.estimated_hours.to_f * 2
  i.save!
end

user = people[0]
first = b.issues.minimum(:start_date)
last = [b.issues.maximum(:due_date), b.versions.maximum(:effective_date)].compact.max
months = (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1
puts 'BENCH-SEED ' + JSON.generate(
  login: user.login,
  api_key: user.api_key,
  list_project: a.identifier,
  plan_project: b.identifier,
  issues: a_ids.size,
  deliverables: b.issues.count,
  milestones: b.versions.count,
  # the issue with one edit in its history, as roleplan's item page shows an edited item
  issue_id: a_ids[5],
  # one issue per load-generator connection, in the Later version (as roleplan's edited items)
  edit_issue_ids: a.issues.where(fixed_version: a.versions.find_by(name: 'Later')).order(:id).limit(8).pluck(:id),
  gantt: { year: first.year, month: first.month, months: [months, 24].min }
)
